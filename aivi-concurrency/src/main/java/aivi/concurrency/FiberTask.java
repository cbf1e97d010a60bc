package aivi.concurrency;

import java.util.Optional;

/**
 * The {@link Task} of a {@link Fiber}.
 *
 * <p>Every method that waits for the task waits until {@link Fiber#terminated()} (the fiber's completion word,
 * set when the fiber has <em>terminated</em>: outcome published, no longer live, owner told), never merely for a non-null
 * {@link Fiber#exit}: the exit is published first, and a joiner that returned in between could still see the
 * task counted as live, or fail its own scope before the scope had recorded the child's error.
 */
final class FiberTask<E, A> implements Task<E, A> {
    final Fiber fiber;

    FiberTask(Fiber fiber) {
        this.fiber = fiber;
    }

    /** Whether the fiber has terminated; one volatile read. */
    private boolean terminated() {
        return fiber.terminated();
    }

    /** The defect of a join or await of a task by itself, which could never return. */
    private Exit<E, ?> waitsForItself(String method) {
        return Exit.defect(new IllegalStateException("Task." + method + ": the task " + name() + " cannot "
                + method + " itself: it would wait for its own termination forever"));
    }

    @Override
    public Effect<E, A> join() {
        return new WaitOp<>(this, false);
    }

    @Override
    public <X> Effect<X, Exit<E, A>> await() {
        return new WaitOp<>(this, true);
    }

    /**
     * {@code join} and {@code await} as one primitive step each: a step rather than a {@link Node.Prim}, so that
     * a wait allocates one node and no success {@link Exit}. Both wait the same way; {@code join} yields the
     * task's value (or ends with its exit, as a {@link Node.Halt}), {@code await} yields the exit itself.
     */
    private static final class WaitOp<E, R> extends Node.Op<E, R> {
        private final FiberTask<?, ?> task;
        private final boolean await;

        WaitOp(FiberTask<?, ?> task, boolean await) {
            this.task = task;
            this.await = await;
        }

        @Override
        Object step(Fiber caller) {
            Fiber fiber = task.fiber;
            if (caller == fiber) {
                throw Node.Halt.of(task.waitsForItself(await ? "await" : "join"));
            }
            fiber.observed = true; // a joiner is waiting: a failure will not go unobserved
            if (!caller.blockUntilTerminated(fiber)) {
                throw Node.Halt.CANCELLED;
            }
            Exit<?, ?> e = fiber.exit;
            if (await) {
                return e;
            }
            if (e instanceof Exit.Success<?, ?> s) {
                return s.value();
            }
            throw Node.Halt.of(e);
        }
    }

    @Override
    public <X> Effect<X, Unit> cancel() {
        return new Node.Prim<>(caller -> {
            if (!terminated()) {
                if (fiber.exit == null) {
                    fiber.cancel(); // a task whose outcome is published is finished: nothing to cancel
                }
                if (caller.isInside(fiber)) {
                    // The task cancels itself (or a fiber inside it cancels it): it cannot terminate before
                    // the caller, so waiting would never end. The request stands; the caller, being inside
                    // the task, is cancelled with it at its next cancellation point.
                    return Exit.success(Unit.UNIT);
                }
                // Cancellable: a caller that is itself cancelled meanwhile stops waiting (it ends Cancelled;
                // the task is still cancelled and awaited by its own scope), so no cycle of cancels can hang.
                if (!caller.blockUntilTerminated(fiber)) {
                    return RunLoop.cancelled();
                }
            }
            return Exit.success(Unit.UNIT);
        });
    }

    @Override
    public <X> Effect<X, Boolean> isCancelled() {
        return new Node.Prim<>(caller -> Exit.success(cancelled()));
    }

    private boolean cancelled() {
        Exit<?, ?> e = fiber.exit;
        return e == null ? fiber.rootRegion.cancelled : e instanceof Exit.Cancelled;
    }

    @SuppressWarnings("unchecked")
    @Override
    public Optional<Exit<E, A>> poll() {
        return terminated() ? Optional.of((Exit<E, A>) fiber.exit) : Optional.empty();
    }

    @Override
    public String name() {
        Thread t = fiber.thread;
        return t != null ? t.getName() : fiber.toString();
    }

    @Override
    public String toString() {
        Exit<?, ?> e = fiber.exit;
        return "Task[" + name() + ", " + (e == null ? "running" : e) + "]";
    }
}
