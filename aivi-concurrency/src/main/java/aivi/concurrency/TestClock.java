package aivi.concurrency;

import aivi.concurrency.internal.SpinLock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Clock} on virtual time for deterministic tests: every timed wait of the library (sleep, timeouts,
 * retry delays, timed selects) completes exactly when virtual time passes its deadline, in no real time.
 *
 * <p>The easy way to use one is {@link TestRuntime}: its clock moves by itself, to the next deadline, as soon
 * as every fiber waits. A {@code TestClock} given to an ordinary runtime instead stands still until someone
 * {@linkplain #advance(Duration) advances} it:
 *
 * {@snippet :
 * TestClock clock = new TestClock();
 * try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock))) {
 *     Thread runner = Thread.ofVirtual().start(() -> rt.run(Concurrency.sleep(600_000)));
 *     clock.awaitSleepers(1, Duration.ofSeconds(10)); // the fiber is parked on the clock
 *     clock.advance(Duration.ofMinutes(10));           // and wakes at once
 *     runner.join();
 * }
 * }
 *
 * <p>Virtual time starts at 0 ns; {@link #currentTimeMillis()} is the epoch plus virtual time. All methods
 * are thread-safe; {@link #advance} happens-before the return of every wait it ends.
 */
// Implementation overview.
//
// A list of sleepers (thread and deadline) guarded by a lock. parkUntil registers the calling thread, parks,
// and deregisters; advance moves the time under the lock and unparks, after unlocking, every sleeper whose
// deadline has passed. An unpark that lands before the sleeper parks is not lost: it leaves the thread's
// permit set, so the park returns at once. The time is a volatile field written under the lock, so a reader
// without the lock sees a time no later than the one a sleeper registered against.
//
// A sleeper is registered before it parks and deregistered only after its park returned, so a thread parked
// here is always in the list: TestRuntime's idle detector (IdleTracker) relies on it when it reads the
// earliest deadline while every participant is parked.
//
// The lock is a spin lock (a few instructions are held under it, nothing blocks there), not a
// ReentrantLock: a sleeper of a TestRuntime takes it inside its library wait, where it does not count busy,
// and a thread that parked for a ReentrantLock and was handed it by the unlock can read WAITING for a moment
// after the hand-off (race (e) in IdleTracker); a spinning thread always reads RUNNABLE. awaitSleepers,
// which needs a real wait, parks outside the lock and is unparked by every change of the list.
public final class TestClock implements Clock {
    private final SpinLock guard = new SpinLock() {
    };
    /** Threads in {@link #awaitSleepers}; unparked (outside the lock) whenever the list of sleepers changes. */
    private final ConcurrentLinkedQueue<Thread> awaiting = new ConcurrentLinkedQueue<>();
    private final List<Sleeper> sleepers = new ArrayList<>();
    /** Virtual nanoseconds; written under {@link #guard}, read without it. */
    private volatile long now;

    private record Sleeper(Thread thread, long deadline) {
    }

    /** Creates a clock at virtual time 0. */
    public TestClock() {
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public long currentTimeMillis() {
        return now / 1_000_000L;
    }

    @Override
    public void parkUntil(Object blocker, long deadlineNanos) {
        if (deadlineNanos - now <= 0) {
            return;
        }
        Sleeper me = new Sleeper(Thread.currentThread(), deadlineNanos);
        guard.lock();
        try {
            if (deadlineNanos - now <= 0) {
                return;
            }
            sleepers.add(me);
        } finally {
            guard.lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
        sleepersChanged();
        try {
            LockSupport.park(blocker);
        } finally {
            guard.lock();
            try {
                sleepers.remove(me);
            } finally {
                guard.lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
            }
            sleepersChanged();
        }
    }

    /** Wakes the threads in {@link #awaitSleepers} to count again. */
    private void sleepersChanged() {
        if (!awaiting.isEmpty()) {
            for (Thread t : awaiting) {
                LockSupport.unpark(t);
            }
        }
    }

    /**
     * Moves virtual time forward by {@code amount} and wakes every thread whose deadline has passed.
     *
     * @param amount how far to move; must not be negative
     * @throws IllegalArgumentException if {@code amount} is negative
     */
    public void advance(Duration amount) {
        Objects.requireNonNull(amount, "TestClock.advance: amount must not be null");
        if (amount.isNegative()) {
            throw new IllegalArgumentException("TestClock.advance: amount must not be negative, was " + amount);
        }
        moveTo(amount.toNanos(), false);
    }

    /** Moves the time to {@code t} (absolute) or by {@code t} (relative), then wakes the sleepers due. */
    private void moveTo(long t, boolean absolute) {
        List<Thread> wake = new ArrayList<>();
        guard.lock();
        try {
            t = absolute ? Math.max(t, now) : now + t;
            now = t;
            for (Iterator<Sleeper> it = sleepers.iterator(); it.hasNext(); ) {
                Sleeper s = it.next();
                if (s.deadline - t <= 0) {
                    wake.add(s.thread);
                }
            }
        } finally {
            guard.lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
        for (Thread th : wake) {
            LockSupport.unpark(th);
        }
    }

    /**
     * Moves virtual time to {@code target} if it is later than now, waking the sleepers it passes; for the
     * idle detector of a {@link TestRuntime}.
     */
    void advanceTo(long target) {
        moveTo(target, true);
    }

    /** The earliest deadline of a sleeper other than {@code except}, or {@link Long#MAX_VALUE}. */
    long nextDeadlineExcept(Thread except) {
        guard.lock();
        try {
            long min = Long.MAX_VALUE;
            for (Sleeper s : sleepers) {
                if (s.thread != except) {
                    min = Math.min(min, s.deadline);
                }
            }
            return min;
        } finally {
            guard.lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /**
     * Moves virtual time forward by {@code millis} milliseconds; see {@link #advance(Duration)}.
     *
     * @param millis how far to move
     */
    public void advanceMillis(long millis) {
        advance(Duration.ofMillis(millis));
    }

    /**
     * Returns the number of threads parked on this clock right now.
     *
     * @return the count
     */
    public int sleepers() {
        guard.lock();
        try {
            return sleepers.size();
        } finally {
            guard.lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /**
     * Returns the earliest deadline among the parked threads, as virtual nanoseconds, or
     * {@link Long#MAX_VALUE} if none is parked.
     *
     * @return the next deadline
     */
    public long nextDeadline() {
        guard.lock();
        try {
            long min = Long.MAX_VALUE;
            for (Sleeper s : sleepers) {
                min = Math.min(min, s.deadline);
            }
            return min;
        } finally {
            guard.lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /**
     * Waits (in real time) until at least {@code count} threads are parked on this clock: the way a test
     * knows its fibers have reached their sleeps before it advances time.
     *
     * @param count   how many sleepers to wait for
     * @param timeout the real-time bound of the wait
     * @throws TimeoutException     if the bound passes first (the message says how many were parked)
     * @throws InterruptedException if the caller is interrupted
     */
    public void awaitSleepers(int count, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Thread me = Thread.currentThread();
        awaiting.add(me); // before the first count: a change after it unparks us, and the permit keeps it
        try {
            for (;;) {
                int n = sleepers();
                if (n >= count) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("TestClock.awaitSleepers: wanted " + count + " sleepers within "
                            + timeout + ", had " + n);
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    throw new InterruptedException("TestClock.awaitSleepers: interrupted while waiting for "
                            + count + " sleepers");
                }
            }
        } finally {
            awaiting.remove(me);
        }
    }

    @Override
    public String toString() {
        return "TestClock[" + Duration.ofNanos(now) + "]";
    }
}
