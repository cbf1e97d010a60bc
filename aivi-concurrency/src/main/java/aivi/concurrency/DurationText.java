package aivi.concurrency;

import java.time.Duration;

/**
 * Durations written for people, in messages and {@code toString}s: {@code 100 ms}, {@code 1.5 s},
 * {@code 2 min}, {@code 250 µs}, rather than {@link Duration#toString()}'s {@code PT0.1S}.
 */
final class DurationText {
    private DurationText() {
    }

    /** {@code d} for people, e.g. {@code 100 ms}; negative durations get a minus sign. */
    static String format(Duration d) {
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        long seconds = d.getSeconds();
        int nanos = d.getNano();
        if (seconds == 0) {
            if (nanos == 0) {
                return "0 ms";
            }
            if (nanos % 1_000_000 == 0) {
                return nanos / 1_000_000 + " ms";
            }
            if (nanos >= 1_000_000) {
                return decimal(nanos, 1_000_000) + " ms";
            }
            if (nanos % 1_000 == 0 || nanos >= 1_000) {
                return decimal(nanos, 1_000) + " µs";
            }
            return nanos + " ns";
        }
        if (seconds < 60) {
            return nanos == 0 ? seconds + " s" : decimal(seconds * 1_000_000_000L + nanos, 1_000_000_000L) + " s";
        }
        if (nanos == 0 && seconds % 3600 == 0) {
            return seconds / 3600 + " h";
        }
        if (nanos == 0 && seconds % 60 == 0) {
            return seconds / 60 + " min";
        }
        long minutes = seconds / 60;
        return minutes + " min " + format(d.minusMinutes(minutes));
    }

    /** {@code nanos} nanoseconds for people; see {@link #format(Duration)}. */
    static String formatNanos(long nanos) {
        return format(Duration.ofNanos(nanos));
    }

    /** {@code value / unit} with up to three decimals, trailing zeros dropped. */
    private static String decimal(long value, long unit) {
        long whole = value / unit;
        long rest = value % unit;
        long millis = (rest * 1000 + unit / 2) / unit; // three decimals, rounded
        if (millis == 1000) {
            whole++;
            millis = 0;
        }
        if (millis == 0) {
            return Long.toString(whole);
        }
        String frac = String.format("%03d", millis);
        while (frac.endsWith("0")) {
            frac = frac.substring(0, frac.length() - 1);
        }
        return whole + "." + frac;
    }
}
