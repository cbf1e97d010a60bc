package aivi.concurrency;

import java.time.Duration;

/**
 * The one place where a delay given by a user ({@code long} milliseconds or a {@link Duration}) becomes
 * the nanoseconds that the library's clocks, timers and deadlines work in.
 *
 * <p>Two rules, the same for every overload: a delay is never rounded <em>down</em> to a shorter one (a
 * {@code Duration} keeps its nanoseconds, so {@code Duration.ofNanos(999_999)} is not 0), and a huge
 * delay saturates at {@link #MAX_DELAY_NANOS} instead of overflowing or throwing
 * {@link ArithmeticException} ({@code Duration.ofSeconds(Long.MAX_VALUE)} sleeps "forever", as
 * {@code sleep(Long.MAX_VALUE)} does). The cap leaves room to add the delay to any clock reading:
 * {@link #deadline} cannot overflow.
 */
final class Durations {

    /**
     * The longest delay, about 73 years: a quarter of the {@code long} range, so that
     * {@code nanoTime() + delay} stays far from overflow whatever the clock's origin.
     */
    static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;

    private static final long MAX_DELAY_MILLIS = MAX_DELAY_NANOS / 1_000_000L;
    private static final Duration MAX_DELAY = Duration.ofNanos(MAX_DELAY_NANOS);

    private Durations() {
    }

    /**
     * Milliseconds to nanoseconds, saturated to {@code [0, MAX_DELAY_NANOS]}: a delay {@code <= 0} is 0.
     *
     * @param millis the delay in milliseconds
     * @return the delay in nanoseconds
     */
    static long millisToNanos(long millis) {
        if (millis <= 0) {
            return 0;
        }
        return millis >= MAX_DELAY_MILLIS ? MAX_DELAY_NANOS : millis * 1_000_000L;
    }

    /**
     * A {@code Duration} to nanoseconds, exactly (no rounding), saturated to {@code [0, MAX_DELAY_NANOS]}:
     * a zero or negative duration is 0.
     *
     * @param d    the delay, not null
     * @param what the method and parameter, for the message if {@code d} is null
     * @return the delay in nanoseconds
     * @throws NullPointerException if {@code d} is null
     */
    static long toNanos(Duration d, String what) {
        if (d == null) {
            throw new NullPointerException(what + " must not be null");
        }
        if (d.isNegative() || d.isZero()) {
            return 0;
        }
        return d.compareTo(MAX_DELAY) >= 0 ? MAX_DELAY_NANOS : d.toNanos();
    }

    /**
     * The deadline {@code delayNanos} after {@code now}, on the same clock's scale.
     *
     * @param now        a clock reading
     * @param delayNanos a delay from {@link #millisToNanos} or {@link #toNanos}
     * @return {@code now + delayNanos}, saturated instead of wrapping
     */
    static long deadline(long now, long delayNanos) {
        long d = Math.min(Math.max(delayNanos, 0), MAX_DELAY_NANOS);
        long r = now + d;
        return r < now ? Long.MAX_VALUE : r;
    }
}
