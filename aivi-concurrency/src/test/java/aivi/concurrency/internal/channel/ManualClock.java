package aivi.concurrency.internal.channel;

import aivi.concurrency.Clock;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/** A virtual clock for tests: time moves only by {@link #advance}; parked threads wake when it does. */
final class ManualClock implements Clock {

    private volatile long now = 1_000_000_000L;
    private final Set<Thread> parked = ConcurrentHashMap.newKeySet();

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
        if (now - deadlineNanos >= 0) {
            return;
        }
        Thread t = Thread.currentThread();
        parked.add(t);
        try {
            if (now - deadlineNanos < 0) {
                LockSupport.park(blocker);
            }
        } finally {
            parked.remove(t);
        }
    }

    /** Moves time forward and wakes every thread parked on this clock. */
    void advance(Duration d) {
        now += d.toNanos();
        for (Thread t : parked) {
            LockSupport.unpark(t);
        }
    }

    /** Waits (without sleeping) until {@code t} is parked on this clock. */
    void awaitParked(Thread t) {
        Waiting.until(() -> parked.contains(t), "thread parked on the manual clock");
    }
}
