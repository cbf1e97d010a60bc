package aivi.concurrency.internal.channel;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Condition polling for tests: yields instead of sleeping, fails after a generous bound. */
final class Waiting {

    /** Generous: conditions we poll for happen within microseconds on a healthy machine. */
    static final Duration GENEROUS = Duration.ofSeconds(30);

    private Waiting() {
    }

    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + GENEROUS.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + GENEROUS + " waiting for: " + what);
            }
            Thread.yield();
        }
    }

    /** Waits until {@code t} is blocked (parked) in some wait. */
    static void untilBlocked(Thread t) {
        until(() -> {
            Thread.State s = t.getState();
            return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
        }, t + " blocked");
    }
}
