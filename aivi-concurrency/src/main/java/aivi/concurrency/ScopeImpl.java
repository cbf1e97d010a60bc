package aivi.concurrency;

import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A set of child fibers with a common lifetime: the engine behind {@link Concurrency#scope}, the implicit
 * scope every fiber has for what it spawns, and the runtime's set of detached fibers.
 */
final class ScopeImpl implements Scope {
    // Implementation overview (not public documentation).
    //
    // State, all guarded by lock: an intrusive doubly linked list of running children (links in Fiber), their
    // count running, the flag closed (no more spawns), and the errors of failed children and of the body, in the
    // order they happened (errors).
    //
    // Spawning links the child under the lock and only then starts its thread, so a child is always either
    // rejected (scope closed) or visible to close, which snapshots the list after setting closed: no child can
    // slip between the snapshot and the wait.
    //
    // A child ends (childEnded, on the child's thread, before the child counts as terminated, see Fiber): if it
    // failed, nobody joined it and the scope is not fail-fast (the detached scope), it reports the failure to the
    // runtime's handler first, outside the lock and while still linked, so that a close waits for the report; then
    // it unlinks itself and, if it failed or died and this scope is fail-fast, records the error; the first error
    // cancels the body's region (on the owner fiber) and every other child, outside the lock. Cancellation only
    // sends requests; nobody blocks while holding the lock.
    //
    // Closing (close, on the owner fiber inside a mask, after the body ended): record the body's own error, set
    // closed, cancel the children still running, wait until running is zero, then decide the outcome: the first
    // error if there is one (later errors attached as suppressed to a defect, or reported to the runtime's handler
    // for a typed failure, so none is lost), otherwise the body's outcome.

    final EffectRuntime runtime;
    /** The fiber that runs the body, or {@code null} for the runtime's detached scope. */
    final Fiber owner;
    /** The body's region on the owner fiber; cancelled when a child fails. */
    final Fiber.Region region;
    private final boolean failFast;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition allEnded = lock.newCondition();
    private Fiber head;
    private int running;
    private boolean closed;
    private final Errors errors = new Errors();
    /** The next scope in the owner's {@link Fiber#deferredCloses}; owner fiber only. */
    ScopeImpl nextDeferred;

    ScopeImpl(EffectRuntime runtime, Fiber owner, Fiber.Region region, boolean failFast) {
        this.runtime = runtime;
        this.owner = owner;
        this.region = region;
        this.failFast = failFast;
    }

    @Override
    public <E, A> Effect<E, Task<E, A>> spawn(Effect<E, A> effect) {
        Objects.requireNonNull(effect, "Scope.spawn: effect must not be null");
        return new Node.Prim<>(fiber -> Exit.success(start(fiber, effect)));
    }

    /**
     * Starts a child; throws {@link IllegalStateException} if the scope has ended. Any thread; {@code spawner}
     * is the fiber starting it (its fiber-locals are inherited), {@code null} if none.
     */
    <E, A> Task<E, A> start(Fiber spawner, Effect<E, A> effect) {
        Fiber child = new Fiber(runtime, effect, this, null);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("Scope.spawn: the scope has already ended; a scope's handle "
                        + "cannot be used after its body returned");
            }
            child.nextSibling = head;
            if (head != null) {
                head.prevSibling = child;
            }
            head = child;
            running++;
        } finally {
            lock.unlock();
        }
        try {
            child.start(spawner); // counted live by its own thread (Fiber.run): a start that throws counts nothing
        } catch (Throwable t) {
            // No thread runs the child (out of memory, a stack overflow while starting it, a context propagator
            // that threw): undo the link, or close() would wait forever for a child that never ends. The flag is
            // a plain field write, which cannot itself fail; if the unlink below fails too (a stack overflow
            // strikes again at this depth), close() and joinAll(), which run later and shallower, unlink it.
            child.startFailed = true;
            try {
                withdraw(child);
            } catch (Throwable again) {
                t.addSuppressed(again);
            }
            throw t;
        }
        return new FiberTask<>(child);
    }

    /** Undoes {@link #start}'s link of a child whose thread could not be started. */
    private void withdraw(Fiber child) {
        lock.lock();
        try {
            if (child.startFailed) {
                unlinkLocked(child);
                if (running == 0) {
                    allEnded.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: whether {@code child} is still in the list of running children. */
    private boolean isLinked(Fiber child) {
        return child.prevSibling != null || head == child;
    }

    /** Under the lock: unlinks every child whose start failed and whose spawner could not unlink it itself. */
    private void unlinkUnstartedLocked() {
        for (Fiber f = head; f != null; ) {
            Fiber next = f.nextSibling;
            if (f.startFailed) {
                unlinkLocked(f);
            }
            f = next;
        }
    }

    /**
     * Under the lock: removes {@code child} from the list of running children, if it is still there. Idempotent,
     * so a child whose start threw but whose thread ran anyway (the JDK may start it before the throw) is unlinked
     * and counted down once, whichever of its own end, the spawner's undo or close's sweep comes first.
     */
    private void unlinkLocked(Fiber child) {
        if (!isLinked(child)) {
            return;
        }
        Fiber p = child.prevSibling;
        Fiber n = child.nextSibling;
        if (p != null) {
            p.nextSibling = n;
        } else if (head == child) {
            head = n;
        }
        if (n != null) {
            n.prevSibling = p;
        }
        child.prevSibling = null;
        child.nextSibling = null;
        running--;
    }

    @Override
    public <E> Effect<E, Unit> joinAll() {
        return new Node.Prim<>(fiber -> fiber.blockFor(FiberDump.Activity.SCOPE, this, () -> {
            lock.lock();
            try {
                unlinkUnstartedLocked();
                while (running > 0) {
                    allEnded.await();
                }
                return Unit.UNIT;
            } finally {
                lock.unlock();
            }
        }));
    }

    @Override
    public int activeChildren() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    /** Called on the child's thread when it has ended, before it terminates (see {@link Fiber}). */
    void childEnded(Fiber child, Exit<?, ?> exit) {
        boolean failed = exit instanceof Exit.Failure<?, ?> || exit instanceof Exit.Defect<?, ?>;
        if (failed && !failFast && !child.observed) {
            // Reported before the child unlinks itself, and outside the lock (the handler is user code): while
            // the handler runs, the child still counts as running, so close() (and EffectRuntime.close()) waits
            // for the report instead of returning before it. Reported after the unlink, a close that had
            // just snapshotted the children missed this one and returned while the report was still to come.
            // A slow or blocking handler stalls only this (ending) child, never other spawns.
            runtime.reportUnobserved("a detached task failed and nobody joined it: " + child, toThrowable(exit));
        }
        boolean first = false;
        Fiber[] others = null;
        lock.lock();
        try {
            unlinkLocked(child);
            if (failed && failFast) {
                first = errors.add(exit);
                if (first) {
                    others = snapshot();
                }
            }
            if (running == 0) {
                if (closed && owner != null && runtime.idle != null) {
                    // The owner waits in close() for exactly this: count it busy before the signal wakes it (a
                    // TestRuntime's wake credit, see IdleTracker). Not for a joinAll: its waiter may be any fiber.
                    runtime.idle.credit(owner);
                }
                allEnded.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (first) {
            JfrEvents.scopeCancelled("a child failed", exit, others.length);
            if (owner != null) {
                owner.cancelRegion(region);
            }
            for (Fiber f : others) {
                f.cancel();
            }
        }
    }

    private Fiber[] snapshot() {
        Fiber[] all = new Fiber[running];
        int i = 0;
        for (Fiber f = head; f != null && i < all.length; f = f.nextSibling) {
            all[i++] = f;
        }
        return i == all.length ? all : java.util.Arrays.copyOf(all, i);
    }

    /**
     * Ends the scope after its body ended with {@code body}: cancels and awaits the children and returns the
     * scope's outcome. Runs on the owner fiber inside a mask (or on a plain thread for the detached scope).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    Exit close(Exit body) {
        Fiber[] children;
        lock.lock();
        try {
            if (failFast && (body instanceof Exit.Failure || body instanceof Exit.Defect)) {
                errors.add(body);
            }
            closed = true;
            children = snapshot();
        } finally {
            lock.unlock();
        }
        if (children.length > 0) {
            JfrEvents.scopeCancelled("the body ended with children still running", null, children.length);
        }
        for (Fiber f : children) {
            f.cancel();
        }
        // A library wait of the owner fiber (dumps, TestRuntime); the detached scope closes on a plain thread.
        boolean outermost = owner != null && children.length > 0 && owner.enterWait(FiberDump.Activity.SCOPE, this);
        lock.lock();
        try {
            unlinkUnstartedLocked(); // children whose start failed never end on their own
            while (running > 0) {
                allEnded.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
            if (outermost) {
                owner.exitWait(true);
            }
        }
        // running == 0 means every child has ended and unlinked itself; each then still has its last step,
        // terminate(), to run (no lock, no wait in between). Wait for it too, so that when a scope or
        // EffectRuntime.close() returns, every Task of it polls as terminated. Usually one volatile read.
        boolean interrupted = false;
        for (Fiber f : children) {
            if (!f.startFailed) { // a child whose thread never started never terminates
                interrupted |= f.awaitTerminationUninterruptibly();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // as Condition.awaitUninterruptibly above would leave it
        }
        Exit err = errors.combine(runtime);
        return err != null ? err : body;
    }

    /** The children running now, for dumps. Any thread. */
    Fiber[] children() {
        lock.lock();
        try {
            return snapshot();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        int n = activeChildren();
        return "Scope[" + n + (n == 1 ? " child]" : " children]");
    }

    static Throwable toThrowable(Exit<?, ?> exit) {
        return switch (exit) {
            case Exit.Defect<?, ?> d -> d.cause();
            case Exit.Failure<?, ?> f -> new FailureException(f.error());
            default -> new IllegalStateException("not an error: " + exit);
        };
    }
}
