package aivi.concurrency.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A test-and-test-and-set spin lock on one {@code int} that yields the carrier after {@link #LOCK_SPINS} failed
 * looks: the lock of a channel, of a fiber's cancellation levels and of the runtime's timer queue. A base class
 * rather than a field, so that the lock word lives in the guarded object itself (no extra indirection, no
 * allocation). Public only for the library's own packages: this package is not exported.
 */
// Why a spin lock: nothing inside a critical section of its users blocks, parks or allocates, and virtual
// threads are not preempted, so a holder is almost never unmounted while it holds the lock; a critical section
// is a few dozen instructions. Acquisition is a CAS with acquire semantics, release a release store, so every
// write of a critical section is visible to the next holder. Fault paths (see Channel, "Exception safety")
// release with a plain volatile store to lock: a field write involves no call, so it cannot itself overflow
// the stack. A java.util.concurrent lock offers no such path: a StackOverflowError at the entry of its
// unlock() leaves it held for good (seen in StackOverflowAtCallSitesTest with the timer queue's ReentrantLock).
// Yielding after LOCK_SPINS lets a holder whose carrier the OS descheduled run again.
//
// Backoff. The lock word shares its cache line with the data it guards (a channel's buffer indices, for
// example). A waiter that re-reads the word after every pause pulls that line away from the holder in the
// middle of its critical section, and each of the holder's writes then waits for the line to come back. So a
// waiter looks less often the longer it waits: 1, 2, 4, then at most MAX_BACKOFF pauses between looks. Measured
// through the public API (docs/benchmarks.md, 2026-12-03), this took an unbounded 1->1 channel from 85-92 to
// 37-40 ns per element, and a 16-slot one from 164-172 to 110-128 ns; rendezvous did not change. A cap of 32
// measured no better and had slow outliers.
public abstract class SpinLock {
    /** Looks at a held lock (each after a backoff of up to {@link #MAX_BACKOFF} pauses) before yielding the carrier. */
    private static final int LOCK_SPINS = Runtime.getRuntime().availableProcessors() > 1 ? 64 : 1;
    /** The most {@code onSpinWait}s between two looks at a held lock. */
    private static final int MAX_BACKOFF = 8;
    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(SpinLock.class, "lock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * 0 free, 1 held. Accessed through {@link #LOCK}, except on a fault path, which releases it with a
     * plain volatile write (no method call; see "Exception safety" in the channel engine).
     */
    public volatile int lock;

    /** Takes the lock, spinning and then yielding while it is held. */
    public final void lock() {
        // Acquire: the critical section's reads cannot move above a successful CAS.
        if (!LOCK.weakCompareAndSetAcquire(this, 0, 1)) {
            lockSlow();
        }
    }

    private void lockSlow() {
        int spun = 0;
        int backoff = 1;
        for (;;) {
            // Test before test-and-set: spin on a plain read so waiting does not bounce the line.
            if ((int) LOCK.getOpaque(this) == 0 && LOCK.weakCompareAndSetAcquire(this, 0, 1)) {
                return;
            }
            if (++spun < LOCK_SPINS) {
                // Back off: 1, 2, 4, then 8 pauses between looks (see the class comment).
                for (int i = 0; i < backoff; i++) {
                    Thread.onSpinWait();
                }
                if (backoff < MAX_BACKOFF) {
                    backoff <<= 1;
                }
            } else {
                spun = 0;
                Thread.yield(); // the holder may be descheduled: let it (or anyone) run
            }
        }
    }

    /** Releases the lock (a release store). */
    public final void unlock() {
        // Release: every write of the critical section is visible to the next acquirer.
        LOCK.setRelease(this, 0);
    }
}
