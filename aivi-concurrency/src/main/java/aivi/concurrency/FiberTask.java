package aivi.concurrency;

import java.util.Optional;

/** The {@link Task} of a {@link Fiber}. */
final class FiberTask<E, A> implements Task<E, A> {
    final Fiber fiber;

    FiberTask(Fiber fiber) {
        this.fiber = fiber;
    }

    @SuppressWarnings("unchecked")
    @Override
    public Effect<E, A> join() {
        return new Node.Prim<>(caller -> {
            fiber.observed = true; // a joiner is waiting: a failure will not go unobserved
            if (fiber.exit == null && !caller.block(fiber.done::await)) {
                return RunLoop.cancelled();
            }
            return (Exit<E, A>) fiber.exit;
        });
    }

    @SuppressWarnings("unchecked")
    @Override
    public <X> Effect<X, Exit<E, A>> await() {
        return new Node.Prim<>(caller -> {
            fiber.observed = true; // a joiner is waiting: a failure will not go unobserved
            if (fiber.exit == null && !caller.block(fiber.done::await)) {
                return RunLoop.cancelled();
            }
            return Exit.success((Exit<E, A>) fiber.exit);
        });
    }

    @Override
    public <X> Effect<X, Unit> cancel() {
        return new Node.Prim<>(caller -> {
            if (fiber.exit == null) {
                fiber.cancel();
                fiber.awaitTerminationUninterruptibly();
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
        return Optional.ofNullable((Exit<E, A>) fiber.exit);
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
