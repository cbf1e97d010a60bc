package aivi.concurrency;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

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
public final class TestClock implements Clock {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition sleepersChanged = lock.newCondition();
    private final List<Sleeper> sleepers = new ArrayList<>();
    /** Virtual nanoseconds; written under {@link #lock}, read without it. */
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
        lock.lock();
        try {
            if (deadlineNanos - now <= 0) {
                return;
            }
            sleepers.add(me);
            sleepersChanged.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            LockSupport.park(blocker);
        } finally {
            lock.lock();
            try {
                sleepers.remove(me);
                sleepersChanged.signalAll();
            } finally {
                lock.unlock();
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
        lock.lock();
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
            lock.unlock();
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
        lock.lock();
        try {
            long min = Long.MAX_VALUE;
            for (Sleeper s : sleepers) {
                if (s.thread != except) {
                    min = Math.min(min, s.deadline);
                }
            }
            return min;
        } finally {
            lock.unlock();
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
        lock.lock();
        try {
            return sleepers.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the earliest deadline among the parked threads, as virtual nanoseconds, or
     * {@link Long#MAX_VALUE} if none is parked.
     *
     * @return the next deadline
     */
    public long nextDeadline() {
        lock.lock();
        try {
            long min = Long.MAX_VALUE;
            for (Sleeper s : sleepers) {
                min = Math.min(min, s.deadline);
            }
            return min;
        } finally {
            lock.unlock();
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
        lock.lock();
        try {
            while (sleepers.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("TestClock.awaitSleepers: wanted " + count + " sleepers within "
                            + timeout + ", had " + sleepers.size());
                }
                sleepersChanged.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "TestClock[" + Duration.ofNanos(now) + "]";
    }
}
