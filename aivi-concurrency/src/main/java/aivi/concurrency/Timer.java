package aivi.concurrency;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A one-shot timer on a runtime's {@link Clock}: a virtual thread parks on the clock until the deadline and
 * then runs the action, unless cancelled first.
 *
 * <p>States: {@code PENDING -> FIRED} (the timer thread won) or {@code PENDING -> CANCELLED} (the owner
 * won); one compare-and-set decides, so the action runs at most once and {@link #fired()} tells the owner
 * reliably whether it did. Cancelling unparks the timer thread, which then ends promptly; it is not a fiber
 * and holds nothing.
 */
final class Timer extends AtomicInteger implements Runnable {
    private static final long serialVersionUID = 1L;
    private static final int PENDING = 0;
    private static final int FIRED = 1;
    private static final int CANCELLED = 2;

    private final Clock clock;
    private final long deadline;
    private final Runnable action;
    private volatile Thread thread;

    private Timer(Clock clock, long deadline, Runnable action) {
        this.clock = clock;
        this.deadline = deadline;
        this.action = action;
    }

    static Timer start(Runtime runtime, Clock clock, long deadline, Runnable action) {
        Timer t = new Timer(clock, deadline, action);
        t.thread = Thread.ofVirtual().name("aivi-timer").start(t);
        return t;
    }

    /** Converts a delay to nanoseconds, capped so that adding it to a clock reading cannot overflow. */
    static long millisToNanos(long millis) {
        return Math.min(TimeUnit.MILLISECONDS.toNanos(millis), Long.MAX_VALUE / 4);
    }

    @Override
    public void run() {
        while (get() == PENDING) {
            if (clock.nanoTime() - deadline >= 0) {
                if (compareAndSet(PENDING, FIRED)) {
                    action.run();
                }
                return;
            }
            clock.parkUntil(this, deadline);
            Thread.interrupted(); // nobody but cancel() wakes us; the state says what to do
        }
    }

    /** Prevents the action if it has not started; wakes the timer thread so it ends. */
    void cancel() {
        if (compareAndSet(PENDING, CANCELLED)) {
            Thread t = thread;
            if (t != null) {
                java.util.concurrent.locks.LockSupport.unpark(t);
            }
        }
    }

    /** Whether the action ran (or is running). */
    boolean fired() {
        return get() == FIRED;
    }
}
