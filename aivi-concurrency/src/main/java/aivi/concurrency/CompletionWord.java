package aivi.concurrency;

import aivi.concurrency.internal.SpinLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The completion word of a {@link Fiber}: who waits for it to terminate, and the wake-up when it does.
 */
// A superclass of Fiber rather than a field, so that a fiber stays one object (spawn cost); it extends
// SpinLock only to pass that lock word on to Fiber, whose level stack it guards. Split out of Fiber because it
// is the one lock-free protocol there, and easier to check on its own.
//
// The completion word replaces a per-fiber CountDownLatch (two objects per fiber and an AQS queue on every
// wait). It is null (running, nobody waiting), the head of a Treiber stack of Waiters (running, someone
// waiting), or TERMINATED. A waiter pushes its node with a CAS and parks until the word reads TERMINATED; the
// completer's getAndSet is a volatile write after everything complete did, so a waiter that reads TERMINATED
// sees the exit, the live count and the scope's bookkeeping. Because a waiter is pushed by CAS on the same
// word that the completer swaps, a waiter is either in the swapped-out stack (and unparked) or sees TERMINATED
// and never parks: no lost wake-up. An interruptible waiter that gives up clears its node's thread so it is
// not unparked in vain, then sweeps abandoned nodes out of the stack (unlinkAbandoned), so waits that give up
// leave no memory behind while the fiber lives. Spurious unparks are harmless: every park re-checks the word.
//
// States: null (running, nobody waiting) -> Waiter stack (running, someone waiting) -> TERMINATED (final).
// Invariants: TERMINATED is set once, by terminate(), with getAndSet; after it nothing is pushed (a push is a CAS
// from the value it read, which is never TERMINATED). Races: a push against terminate (the CAS fails, the pusher
// re-reads and sees TERMINATED); two sweeps, or a sweep against a push or terminate (see unlinkAbandoned).
abstract class CompletionWord extends SpinLock {
    private static final VarHandle WAITERS;

    static {
        try {
            WAITERS = MethodHandles.lookup().findVarHandle(CompletionWord.class, "waiters", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The value of {@link #waiters} once the fiber has terminated. */
    static final Object TERMINATED = new Object();

    /** A thread waiting for this fiber to terminate; a node of the {@link #waiters} stack. */
    private static final class Waiter {
        /** Cleared by a waiter that gave up (interrupted); read by the completer after the swap. */
        volatile Thread thread;
        /** Rewritten only by {@link #unlinkAbandoned} to skip abandoned nodes. */
        volatile Waiter next;
        /** The waiting fiber, credited before its unpark, on a TestRuntime only; otherwise {@code null}. */
        final Fiber fiber;

        Waiter(Thread thread, Waiter next, Fiber fiber) {
            this.thread = thread;
            this.next = next;
            this.fiber = fiber;
        }
    }

    /**
     * The completion word: {@code null}, a {@link Waiter} stack, or {@link #TERMINATED} (see "The completion
     * word" in the class comment). Updated only through {@link #WAITERS}.
     */
    volatile Object waiters;

    /** Marks the fiber terminated and wakes every waiter; the fiber's last step. */
    final void terminate() {
        // getAndSet is a volatile write: everything complete() did happens-before a waiter's read of TERMINATED.
        Object s = WAITERS.getAndSet(this, TERMINATED);
        for (Waiter w = (Waiter) s; w != null; w = w.next) {
            Thread t = w.thread;
            if (t != null) {
                Fiber f = w.fiber;
                if (f != null) {
                    f.runtime.idle.credit(f); // after the swap, before the unpark (see IdleTracker, "Wake credits")
                }
                LockSupport.unpark(t);
            }
        }
    }

    /** Whether this fiber has terminated (see the class comment); one volatile read. Any thread. */
    boolean terminated() {
        return waiters == TERMINATED;
    }

    /** Waits until this fiber has terminated; the interrupt flag is cleared when this throws. Any thread. */
    void awaitTermination() throws InterruptedException {
        awaitTermination(null);
    }

    /**
     * {@link #awaitTermination()} by the fiber {@code self}, which the completer credits before it unparks
     * it (a TestRuntime's fiber in a library wait; {@code null} otherwise).
     */
    void awaitTermination(Fiber self) throws InterruptedException {
        if (await(true, self)) {
            throw new InterruptedException();
        }
    }

    /**
     * Waits until this fiber has terminated, ignoring interrupts. Returns whether an interrupt arrived
     * meanwhile (the flag is then clear), so a plain-thread caller can restore it; a fiber caller ignores it,
     * because a fiber re-derives its cancellation from its levels (see the class comment).
     */
    boolean awaitTerminationUninterruptibly() {
        return await(false, null);
    }

    /** {@link #awaitTerminationUninterruptibly()} by the fiber {@code self}; see {@link #awaitTermination(Fiber)}. */
    boolean awaitTerminationUninterruptibly(Fiber self) {
        return await(false, self);
    }

    /**
     * Parks until {@link #waiters} reads {@link #TERMINATED}. Returns whether an interrupt was seen (and
     * cleared); if {@code interruptible}, returns at the first one, abandoning the wait.
     */
    private boolean await(boolean interruptible, Fiber self) {
        Object s = waiters;
        if (s == TERMINATED) {
            return false;
        }
        if (interruptible && Thread.interrupted()) {
            return true;
        }
        Thread me = Thread.currentThread();
        Waiter node;
        for (;;) {
            node = new Waiter(me, (Waiter) s, self);
            // CAS on the word the completer swaps: either we are in the stack it takes, or we see TERMINATED.
            Object witness = WAITERS.compareAndExchange(this, s, node);
            if (witness == s) {
                break;
            }
            if (witness == TERMINATED) {
                return false;
            }
            s = witness;
        }
        boolean interrupted = false;
        for (;;) {
            LockSupport.park(this);
            for (;;) {
                if (waiters == TERMINATED) {
                    return interrupted;
                }
                if (Thread.interrupted()) { // park returns at once while the flag is set: clear it
                    interrupted = true;
                    if (interruptible) {
                        node.thread = null; // given up: the completer need not unpark us
                        unlinkAbandoned();
                        return true; // a credit that came with the interrupt goes with us (the caller's wait)
                    }
                }
                // About to park again: a credit (TestRuntime) must not keep us busy; if there was one, re-check
                // first, since the wake-up it announced may not have arrived yet.
                if (self == null || !self.dropWakeCredits()) {
                    break;
                }
            }
        }
    }

    /**
     * Drops every abandoned node (thread cleared) from the waiter stack, so a wait that gives up leaves no
     * memory behind for as long as this fiber runs (a health check that times out its join every second
     * would otherwise grow the stack without bound). Any thread; lock-free.
     *
     * <p>A sweep from the head: an abandoned head is popped with a CAS on the word (which also fails, and
     * restarts the sweep, if a new waiter was pushed or the fiber terminated meanwhile); an abandoned node
     * further down is bypassed by writing its live predecessor's {@code next}. Two sweeps may race, and a
     * bypass may be undone when the predecessor itself turns out to be abandoned; so whenever the
     * predecessor we wrote through has been abandoned meanwhile, the sweep restarts. A node that is missed
     * is swept by the next sweep or dropped with the whole stack at termination; correctness does not
     * depend on the sweep: the completer unparks only nodes whose thread is still set, and a waiter's own
     * wake-up is the completion word, never its node.
     */
    private void unlinkAbandoned() {
        restart:
        for (;;) {
            Object h = waiters;
            if (!(h instanceof Waiter)) {
                return; // empty or terminated
            }
            Waiter live = null; // the last node seen whose thread is still set
            for (Waiter q = (Waiter) h; q != null; ) {
                Waiter after = q.next;
                if (q.thread != null) {
                    live = q;
                } else if (live == null) {
                    if (!WAITERS.compareAndSet(this, q, after)) {
                        continue restart;
                    }
                } else {
                    live.next = after;
                    if (live.thread == null) {
                        continue restart;
                    }
                }
                q = after;
            }
            return;
        }
    }

    /** The number of nodes in the waiter stack (live or abandoned); for tests. */
    int waiterNodes() {
        int n = 0;
        Object h = waiters;
        for (Waiter q = h instanceof Waiter w ? w : null; q != null; q = q.next) {
            n++;
        }
        return n;
    }
}
