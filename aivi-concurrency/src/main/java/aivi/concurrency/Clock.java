package aivi.concurrency;

import java.util.concurrent.locks.LockSupport;

/**
 * The source of time of an {@link EffectRuntime}: every timed operation of the library ({@link Concurrency#sleep
 * sleep}, {@link Concurrency#timeoutWith timeoutWith}, retry delays, timed channel selects) reads the time
 * and waits through the runtime's clock, so a test can substitute a {@link TestClock} and run on virtual
 * time.
 *
 * <p>Implementations must be thread-safe. {@link #system()} is the real clock.
 *
 * {@snippet :
 * Clock clock = Clock.system();
 * long start = clock.nanoTime();
 * }
 */
public interface Clock {

    /**
     * Returns the current value of this clock's monotonic time source, in nanoseconds. Only differences
     * between two values are meaningful (as for {@link System#nanoTime()}).
     *
     * @return the monotonic time in nanoseconds
     */
    long nanoTime();

    /**
     * Returns the current wall-clock time in milliseconds since the epoch.
     *
     * @return the wall-clock time
     */
    long currentTimeMillis();

    /**
     * Parks the calling thread until this clock's {@link #nanoTime()} reaches {@code deadlineNanos}, the
     * thread is unparked, or it is interrupted. Like {@link LockSupport#parkNanos}, this may also return
     * spuriously: callers re-check their condition and the time in a loop.
     *
     * @param blocker       the object the thread waits on (for diagnostics), or {@code null}
     * @param deadlineNanos the deadline on this clock's {@link #nanoTime()} scale
     */
    void parkUntil(Object blocker, long deadlineNanos);

    /**
     * Returns the real clock: {@link System#nanoTime()}, {@link System#currentTimeMillis()} and
     * {@link LockSupport#parkNanos(Object, long)}.
     *
     * @return the system clock
     */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
