package aivi.concurrency;

import aivi.concurrency.internal.SpinLock;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A set of child fibers with a common lifetime: the engine behind {@link Concurrency#scope}, the implicit
 * scope every fiber has for what it spawns, and the runtime's set of detached fibers.
 */
final class ScopeImpl extends SpinLock implements Scope {
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
    //
    // The lock is a SpinLock (the lock word is this object's), not a ReentrantLock. A spawn takes it on the
    // spawner's stack, which may be nearly exhausted (a spawn deep in an Effect.gen body), and a
    // StackOverflowError at the entry of a ReentrantLock's unlock() left it held with a child linked and counted
    // but never started: the owner's close, which re-entered the lock, then waited for ever (seen in
    // StackOverflowAtCallSitesTest run for several rounds in one JVM). Every critical section here is a try
    // whose finally releases the lock with a plain volatile store, as the fiber's level lock does: a field write,
    // which no throw can skip and which cannot overflow itself. So a section of field writes only (a spawn's
    // link, a child's unlink and the count) contains no call at all, and no throw can cut it in half; the
    // sections that allocate (snapshot, the error list) are on the child's or the owner's failure and closing
    // paths, and a throw there still releases the lock.
    //
    // Waiting for running to reach zero (close, joinAll). A waiter allocates an EndWaiter outside the lock, then
    // re-checks under the lock and, if children still run, pushes it on waiters and parks until its released
    // flag is set. Whoever brings running to zero (the last child's end, or the undo of a failed start) detaches
    // the whole list under the lock and, after releasing the lock, sets every released flag (a volatile write
    // after the critical section: a waiter that reads it sees the scope's state, the errors included) and then
    // unparks its thread. A waiter that reads released exits; one woken for another reason parks again. So no
    // wake-up is lost: a waiter is either in the list the releaser detached, or it saw running == 0 itself. A
    // joinAll waiter that is interrupted removes its node under the lock (a node already detached is simply
    // dropped). Once released, a node is never reused: a joinAll that finds new children afterwards waits anew.

    final EffectRuntime runtime;
    /** The fiber that runs the body, or {@code null} for the runtime's detached scope. */
    final Fiber owner;
    /** The body's region on the owner fiber; cancelled when a child fails. */
    final Fiber.Region region;
    private final boolean failFast;

    // Guarded by the lock (this object's SpinLock word).
    private Fiber head;
    private int running;
    private boolean closed;
    /** Who waits for running to reach zero, newest first (see "Waiting"). */
    private EndWaiter waiters;
    private final Errors errors = new Errors();
    /** The next scope in the owner's {@link Fiber#deferredCloses}; owner fiber only. */
    ScopeImpl nextDeferred;

    ScopeImpl(EffectRuntime runtime, Fiber owner, Fiber.Region region, boolean failFast) {
        this.runtime = runtime;
        this.owner = owner;
        this.region = region;
        this.failFast = failFast;
    }

    /** A thread waiting in close or joinAll for running to reach zero; see "Waiting" in the overview. */
    private static final class EndWaiter {
        final Thread thread = Thread.currentThread();
        /** Under the lock: the next (older) waiter. */
        EndWaiter next;
        /** Set once, after the lock that detached this node was released; read by the waiter. */
        volatile boolean released;
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
        boolean rejected;
        lock();
        try {
            // Field writes only, up to the release: no call that could throw between the link and the start
            // below. (An unlock() that overflowed here left the child linked and counted but never started.)
            rejected = closed;
            if (!rejected) {
                child.nextSibling = head;
                if (head != null) {
                    head.prevSibling = child;
                }
                head = child;
                running++;
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see the overview)
        }
        if (rejected) {
            throw new IllegalStateException("Scope.spawn: the scope has already ended; a scope's handle "
                    + "cannot be used after its body returned");
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
        EndWaiter ended = null;
        lock();
        try {
            if (child.startFailed) {
                unlinkLocked(child);
                ended = takeWaitersIfNoneRunningLocked();
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip
            release(ended);
        }
    }

    /** Under the lock: if no child runs, detaches and returns every waiter (to {@link #release}); else null. */
    private EndWaiter takeWaitersIfNoneRunningLocked() {
        if (running != 0) {
            return null;
        }
        EndWaiter w = waiters;
        waiters = null;
        return w;
    }

    /** After the lock: releases the detached waiters {@code w}: every flag first, then the unparks. */
    private static void release(EndWaiter w) {
        for (EndWaiter n = w; n != null; n = n.next) {
            n.released = true;
        }
        for (EndWaiter n = w; n != null; n = n.next) {
            LockSupport.unpark(n.thread);
        }
    }

    /**
     * Waits until no child runs (close, joinAll). With {@code interruptible}, an interrupt withdraws the wait and
     * throws {@link InterruptedException} (the flag clear); otherwise an interrupt is remembered and the method
     * returns whether one arrived (the flag then clear). {@code waiter} is the waiting fiber on a TestRuntime
     * (it gives back a wake-up credit before it parks again), or {@code null}.
     */
    private boolean awaitNoneRunning(boolean interruptible, Fiber waiter) throws InterruptedException {
        boolean interrupted = false;
        EndWaiter node = null;
        for (;;) {
            boolean none;
            EndWaiter ended = null;
            lock();
            try {
                unlinkUnstartedLocked(); // children whose start failed never end on their own
                none = running == 0;
                if (none) {
                    ended = takeWaitersIfNoneRunningLocked(); // that sweep may have ended others' waits too
                } else if (node != null) {
                    node.next = waiters;
                    waiters = node;
                }
            } finally {
                lock = 0; // release: a volatile write, which no throw can skip
                release(ended);
            }
            if (none) {
                return interrupted;
            }
            if (node == null) {
                node = new EndWaiter(); // outside the lock; the next pass checks again before it waits
                continue;
            }
            while (!node.released) {
                if (Thread.interrupted()) {
                    if (interruptible) {
                        withdrawWaiter(node);
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
                if (waiter != null && waiter.dropWakeCredits()) {
                    continue; // re-check: the wake-up a credit announced may not have arrived yet
                }
                LockSupport.park(this);
            }
            node = null; // released: children may have been spawned since (joinAll); look again
        }
    }

    /** Removes an interrupted waiter's node, unless a releaser has already detached it. */
    private void withdrawWaiter(EndWaiter node) {
        lock();
        try {
            EndWaiter prev = null;
            for (EndWaiter n = waiters; n != null; prev = n, n = n.next) {
                if (n == node) {
                    if (prev == null) {
                        waiters = n.next;
                    } else {
                        prev.next = n.next;
                    }
                    break;
                }
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip
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
            awaitNoneRunning(true, null); // not credited (see IdleTracker): no credit to give back
            return Unit.UNIT;
        }));
    }

    @Override
    public int activeChildren() {
        lock();
        try {
            return running;
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip
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
        EndWaiter ended = null;
        boolean creditOwner = false;
        lock();
        try {
            unlinkLocked(child);
            // Before anything that allocates: a throw below still releases the waiters (in the finally).
            ended = takeWaitersIfNoneRunningLocked();
            creditOwner = running == 0 && closed && owner != null && runtime.idle != null;
            if (failed && failFast) {
                first = errors.add(exit);
                if (first) {
                    others = snapshot();
                }
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip
            if (creditOwner) {
                // The owner waits in close() for exactly this: count it busy before the release wakes it (a
                // TestRuntime's wake credit, see IdleTracker). Not for a joinAll: its waiter may be any fiber.
                runtime.idle.credit(owner);
            }
            release(ended);
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
        lock();
        try {
            if (failFast && (body instanceof Exit.Failure || body instanceof Exit.Defect)) {
                errors.add(body);
            }
            closed = true;
            children = snapshot();
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip
        }
        if (children.length > 0) {
            JfrEvents.scopeCancelled("the body ended with children still running", null, children.length);
        }
        for (Fiber f : children) {
            f.cancel();
        }
        // A library wait of the owner fiber (dumps, TestRuntime); the detached scope closes on a plain thread.
        boolean outermost = owner != null && children.length > 0 && owner.enterWait(FiberDump.Activity.SCOPE, this);
        boolean interrupted;
        try {
            // Uninterruptible: an interrupt (a cancellation's wake-up) is kept and re-asserted below.
            interrupted = awaitNoneRunning(false, owner != null && runtime.idle != null ? owner : null);
        } catch (InterruptedException impossible) {
            throw new AssertionError("an uninterruptible wait threw", impossible);
        } finally {
            if (outermost) {
                owner.exitWait(true);
            }
        }
        // running == 0 means every child has ended and unlinked itself; each then still has its last step,
        // terminate(), to run (no lock, no wait in between). Wait for it too, so that when a scope or
        // EffectRuntime.close() returns, every Task of it polls as terminated. Usually one volatile read.
        for (Fiber f : children) {
            if (!f.startFailed) { // a child whose thread never started never terminates
                interrupted |= f.awaitTerminationUninterruptibly();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // an uninterruptible wait leaves the flag as it found it
        }
        Exit err = errors.combine(runtime);
        return err != null ? err : body;
    }

    /** The children running now, for dumps. Any thread. */
    Fiber[] children() {
        lock();
        try {
            return snapshot();
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip
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
