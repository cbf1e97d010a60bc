package aivi.concurrency.internal.channel;

import aivi.concurrency.Clock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread blocked in a channel operation or a select: the one object on which "who completes this
 * wait" is decided.
 *
 * <p>A plain {@code send}/{@code receive} enqueues one {@link WaitNode} that is its own waiter; a select
 * enqueues one node per clause, all pointing to one shared {@code Waiter}. Whatever the number of nodes,
 * the waiter's {@link #state} moves exactly once from a <em>pending</em> value ({@link #WAITING} or
 * {@link #PARKED}) to a <em>final</em> value, by a compare-and-set:
 *
 * <pre>
 *   WAITING --(owner, before parking)--> PARKED
 *   WAITING | PARKED --(counterpart or close(): CAS)--> committed(clause, closed?)
 *   WAITING | PARKED --(owner: interrupt or timeout; CAS)--> CANCELLED
 * </pre>
 *
 * <p>The CAS is the linearization point of the transfer and the only arbiter between a counterpart that
 * wants to complete the wait and the owner that wants to give up: if the owner's CAS to
 * {@code CANCELLED} wins, the operation had no effect; if a counterpart's CAS wins, the transfer happened
 * and the owner must report it, whatever interrupts arrived meanwhile.
 *
 * <p>{@code PARKED} exists so a counterpart unparks only an owner that may actually be parked: an owner
 * that is still spinning in {@code WAITING} sees the commit without a wake-up (unparking a virtual thread
 * costs a scheduler submission). The owner CASes {@code WAITING -> PARKED} and re-reads the state before
 * every park, so a commit that lands in between is never missed.
 */
class Waiter {

    /** Pending; the owner may be spinning but will not park without first moving to {@link #PARKED}. */
    static final int WAITING = 0;
    /** Pending; the owner is parked or about to park: whoever commits must unpark it. */
    static final int PARKED = 1;
    /** Final: the owner gave up (interrupt or timeout) before anyone committed. */
    static final int CANCELLED = 2;
    /** Final states {@code >= COMMITTED}: {@code COMMITTED + (clause << 1) + (closed ? 1 : 0)}. */
    static final int COMMITTED = 3;

    /** {@link #tryCommit} result: the waiter was already final; nothing happened. */
    static final int LOST = 0;
    /** {@link #tryCommit} result: committed; the owner was not parked. */
    static final int WON = 1;
    /** {@link #tryCommit} result: committed; the owner is (about to be) parked and must be unparked. */
    static final int WON_UNPARK = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The thread that waits; the only one that parks on this waiter. */
    final Thread owner;

    /** Owner-only: whether the last wait reached {@link #PARKED} (feeds the adaptive spin budget). */
    boolean parked;

    /** See the class comment. Accessed through {@link #STATE}; volatile reads and CASes only. */
    @SuppressWarnings("unused")
    private volatile int state;

    Waiter(Thread owner) {
        this.owner = owner;
    }

    /** Encodes the final state for a commit of {@code clause}. */
    static int committed(int clause, boolean closed) {
        return COMMITTED + (clause << 1) + (closed ? 1 : 0);
    }

    /** The clause index of a committed state. */
    static int clauseOf(int state) {
        return (state - COMMITTED) >>> 1;
    }

    /** Whether a committed state reports that the channel was closed. */
    static boolean isClosed(int state) {
        return ((state - COMMITTED) & 1) != 0;
    }

    /** Volatile read of the state (acquire: it pairs with the committing CAS). */
    final int state() {
        return (int) STATE.getVolatile(this);
    }

    /**
     * Tries to complete this wait with {@code clause} (and {@code closed}). Any data the owner must read
     * (a received value in a {@link WaitNode#item}) has to be written before this call: the successful
     * CAS is a volatile write, and the owner reads the data only after a volatile read that sees it, so
     * the plain write happens-before the owner's read.
     *
     * @return {@link #LOST}, {@link #WON} or {@link #WON_UNPARK}; the caller unparks {@link #owner} in the
     *     last case, preferably after releasing any lock it holds
     */
    final int tryCommit(int clause, boolean closed) {
        int target = committed(clause, closed);
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s >= CANCELLED) {
                return LOST;
            }
            // Full-fence CAS: it both decides the race and publishes the item written before it.
            if (STATE.compareAndSet(this, s, target)) {
                return s == PARKED ? WON_UNPARK : WON;
            }
            // Lost to the owner's WAITING -> PARKED (retry) or to another final CAS (return LOST next).
        }
    }

    /**
     * Owner side: gives up the wait if it is still pending.
     *
     * @return {@link #CANCELLED} if the cancellation won, otherwise the final state someone else set
     */
    final int tryCancel() {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s >= CANCELLED) {
                return s;
            }
            if (STATE.compareAndSet(this, s, CANCELLED)) {
                return CANCELLED;
            }
        }
    }

    /**
     * Owner side: waits (untimed) until the state is final, spinning up to {@code spins} times before
     * parking; a virtual thread yields its carrier on every {@link #YIELD_EVERY}th spin (see SpinPolicy). An
     * interrupt cancels the wait unless a commit already won; in that case the interrupt status is restored and
     * the committed state is returned, so the caller reports the transfer.
     *
     * @return the final state: {@link #CANCELLED} means interrupted (status cleared, nothing transferred)
     */
    final int await(int spins, Object blocker) {
        boolean virtual = spins > 0 && Thread.currentThread().isVirtual();
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s >= CANCELLED) {
                return s;
            }
            if (s == WAITING) {
                if (spins > 0) {
                    if (virtual && (spins & (YIELD_EVERY - 1)) == 0) {
                        Thread.yield(); // the counterpart may be queued on our own carrier: let it run
                    } else {
                        Thread.onSpinWait();
                    }
                    spins--;
                    continue;
                }
                if (Thread.currentThread().isInterrupted()) {
                    return cancelOnInterrupt();
                }
                // Announce the park; a commit racing with this CAS makes it fail and we re-read.
                parked = true;
                STATE.compareAndSet(this, WAITING, PARKED);
                continue;
            }
            LockSupport.park(blocker);
            if (Thread.currentThread().isInterrupted()) {
                return cancelOnInterrupt();
            }
        }
    }

    /**
     * Owner side: like {@link #await} but also gives up at {@code deadline} on {@code clock}'s time scale.
     * Never reads the system time directly, so a virtual clock can drive it.
     *
     * @return the final state; {@link #CANCELLED} means interrupted (the interrupt status is then still
     *     set, the caller clears it) or timed out (check the interrupt status to tell)
     */
    final int awaitUntil(int spins, Object blocker, Clock clock, long deadline) {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s >= CANCELLED) {
                return s;
            }
            if (s == WAITING) {
                if (spins > 0) {
                    spins--;
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                STATE.compareAndSet(this, WAITING, PARKED);
                continue;
            }
            if (Thread.currentThread().isInterrupted() || clock.nanoTime() - deadline >= 0) {
                // A commit that won first is reported as such; the interrupt status stays set.
                return tryCancel();
            }
            clock.parkUntil(blocker, deadline);
        }
    }

    /** A spinning virtual thread yields its carrier once per this many spins (a power of two). */
    private static final int YIELD_EVERY = 4;

    private int cancelOnInterrupt() {
        int f = tryCancel();
        if (f == CANCELLED) {
            Thread.interrupted(); // the caller throws InterruptedException: clear the status
        }
        // Otherwise a commit won: keep the interrupt status set and report the transfer.
        return f;
    }
}
