package aivi.concurrency;

import java.util.concurrent.locks.LockSupport;

/** The real clock behind {@link Clock#system()}. */
enum SystemClock implements Clock {
    /** The only instance. */
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public void parkUntil(Object blocker, long deadlineNanos) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining > 0) {
            LockSupport.parkNanos(blocker, remaining);
        }
    }

    @Override
    public String toString() {
        return "Clock.system()";
    }
}
