package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The decisions of {@link Schedule} on their own: which delay follows which failed attempt, and when the
 * retrying stops. The end-to-end behaviour on a runtime is in {@link RetryTest}.
 */
@ExtendWith(NoLeakedFibers.class)
class ScheduleTest {

    private static final long MS = 1_000_000L;

    /** The delays (ms) a schedule gives after attempts 1..n fail with {@code error}, with no time elapsed. */
    private static <E> List<Long> delaysMillis(Schedule<E> s, E error, int n) {
        List<Long> out = new ArrayList<>();
        for (int attempt = 1; attempt <= n; attempt++) {
            long d = s.nextDelayNanos(attempt, error, 0);
            out.add(d == Schedule.STOP ? -1 : d / MS);
        }
        return out;
    }

    @Test
    void immediateRetriesWithoutDelayForever() {
        assertThat(delaysMillis(Schedule.immediate(), "e", 5)).containsExactly(0L, 0L, 0L, 0L, 0L);
        assertThat(Schedule.<String>immediate().nextDelayNanos(Integer.MAX_VALUE, "e", 0)).isZero();
    }

    @Test
    void fixedDelayGivesTheSameDelayEachTime() {
        assertThat(delaysMillis(Schedule.fixedDelay(Duration.ofMillis(250)), "e", 4))
                .containsExactly(250L, 250L, 250L, 250L);
    }

    @Test
    void exponentialDoublesFromTheInitialDelay() {
        assertThat(delaysMillis(Schedule.exponential(Duration.ofMillis(100)), "e", 5))
                .containsExactly(100L, 200L, 400L, 800L, 1600L);
    }

    @Test
    void exponentialWithAFactorMultipliesByIt() {
        assertThat(delaysMillis(Schedule.exponential(Duration.ofMillis(100), 1.5), "e", 4))
                .containsExactly(100L, 150L, 225L, 337L);
        assertThat(delaysMillis(Schedule.exponential(Duration.ofMillis(100), 1.0), "e", 3))
                .containsExactly(100L, 100L, 100L);
    }

    @Test
    void exponentialSaturatesInsteadOfOverflowing() {
        Schedule<String> s = Schedule.exponential(Duration.ofDays(1));
        long late = s.nextDelayNanos(10_000, "e", 0);
        assertThat(late).isEqualTo(Long.MAX_VALUE / 4);
        assertThat(Schedule.<String>fixedDelay(Duration.ofSeconds(Long.MAX_VALUE)).nextDelayNanos(1, "e", 0))
                .isEqualTo(Long.MAX_VALUE / 4);
    }

    @Test
    void maxDelayCapsEveryDelay() {
        Schedule<String> s = Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofMillis(300));
        assertThat(delaysMillis(s, "e", 5)).containsExactly(100L, 200L, 300L, 300L, 300L);
    }

    @Test
    void maxAttemptsCountsTotalRuns() {
        Schedule<String> s = Schedule.fixedDelay(Duration.ofMillis(10)).maxAttempts(3);
        assertThat(delaysMillis(s, "e", 4)).containsExactly(10L, 10L, -1L, -1L);
        assertThat(delaysMillis(Schedule.immediate().maxAttempts(1), "e", 1)).containsExactly(-1L);
    }

    @Test
    void maxElapsedStopsWhenTheNextAttemptWouldStartTooLate() {
        Schedule<String> s = Schedule.fixedDelay(Duration.ofMillis(100)).maxElapsed(Duration.ofMillis(1000));
        assertThat(s.nextDelayNanos(1, "e", 0)).isEqualTo(100 * MS);
        assertThat(s.nextDelayNanos(5, "e", 900 * MS)).isEqualTo(100 * MS); // starts exactly at the limit
        assertThat(s.nextDelayNanos(5, "e", 900 * MS + 1)).isEqualTo(Schedule.STOP);
        assertThat(s.nextDelayNanos(5, "e", 2000 * MS)).isEqualTo(Schedule.STOP);
    }

    @Test
    void fullJitterStaysWithinZeroAndTheCappedDelay() {
        Schedule<String> s = Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofMillis(400))
                .withJitter(new SplittableRandom(42));
        Set<Long> seen = new HashSet<>();
        for (int round = 0; round < 200; round++) {
            for (int attempt = 1; attempt <= 5; attempt++) {
                long capped = Math.min(100L << (attempt - 1), 400) * MS;
                long d = s.nextDelayNanos(attempt, "e", 0);
                assertThat(d).as("attempt %d", attempt).isBetween(0L, capped);
                seen.add(d);
            }
        }
        assertThat(seen).as("jittered delays vary").hasSizeGreaterThan(900);
    }

    @Test
    void jitterWithTheSameSeedGivesTheSameDelays() {
        Schedule<String> a = Schedule.<String>fixedDelay(Duration.ofSeconds(1)).withJitter(new SplittableRandom(7));
        Schedule<String> b = Schedule.<String>fixedDelay(Duration.ofSeconds(1)).withJitter(new SplittableRandom(7));
        SplittableRandom reference = new SplittableRandom(7);
        for (int attempt = 1; attempt <= 20; attempt++) {
            long expected = reference.nextLong(1_000 * MS + 1);
            assertThat(a.nextDelayNanos(attempt, "e", 0)).isEqualTo(expected);
            assertThat(b.nextDelayNanos(attempt, "e", 0)).isEqualTo(expected);
        }
    }

    @Test
    void defaultJitterStaysWithinBounds() {
        Schedule<String> s = Schedule.fixedDelay(Duration.ofMillis(50)).withJitter();
        for (int i = 0; i < 1_000; i++) {
            assertThat(s.nextDelayNanos(1, "e", 0)).isBetween(0L, 50 * MS);
        }
        assertThat(Schedule.<String>immediate().withJitter().nextDelayNanos(1, "e", 0)).isZero();
    }

    @Test
    void maxElapsedJudgesTheJitteredDelay() {
        SplittableRandom reference = new SplittableRandom(3);
        Schedule<String> s = Schedule.<String>fixedDelay(Duration.ofSeconds(10))
                .withJitter(new SplittableRandom(3)).maxElapsed(Duration.ofSeconds(10));
        for (int i = 0; i < 50; i++) {
            long expected = reference.nextLong(10_000 * MS + 1);
            long elapsed = 5_000 * MS;
            long d = s.nextDelayNanos(1, "e", elapsed);
            assertThat(d).isEqualTo(elapsed + expected > 10_000 * MS ? Schedule.STOP : expected);
        }
    }

    @Test
    void retryIfStopsAtOnceOnANonMatchingError() {
        Schedule<String> s = Schedule.immediate().maxAttempts(10).retryIf(e -> e.startsWith("5"));
        assertThat(s.nextDelayNanos(1, "503", 0)).isZero();
        assertThat(s.nextDelayNanos(1, "404", 0)).isEqualTo(Schedule.STOP);
    }

    @Test
    void aLaterModifierReplacesTheEarlierSetting() {
        Schedule<String> s = Schedule.immediate().maxAttempts(2).maxAttempts(5)
                .retryIf(e -> false).retryIf(e -> true);
        assertThat(delaysMillis(s, "e", 5)).containsExactly(0L, 0L, 0L, 0L, -1L);
    }

    @Test
    void modifiersNarrowTheErrorTypeWithoutWitnesses() {
        Schedule<Object> shared = Schedule.exponential(Duration.ofMillis(10)).maxAttempts(3);
        Schedule<IOException> io = Schedule.fixedDelay(Duration.ofMillis(10)).maxAttempts(3);
        Schedule<IOException> notMissing = shared.retryIf(e -> !(e instanceof FileNotFoundException));
        Schedule<FileNotFoundException> narrower = io.maxDelay(Duration.ofSeconds(1));
        assertThat(notMissing.nextDelayNanos(1, new FileNotFoundException("x"), 0)).isEqualTo(Schedule.STOP);
        assertThat(notMissing.nextDelayNanos(1, new IOException("x"), 0)).isEqualTo(10 * MS);
        assertThat(narrower.nextDelayNanos(1, new FileNotFoundException("x"), 0)).isEqualTo(10 * MS);
    }

    @Test
    void invalidArgumentsAreRejectedWithTheValue() {
        assertThatThrownBy(() -> Schedule.exponential(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Schedule.exponential: initial must be > 0, was PT0S");
        assertThatThrownBy(() -> Schedule.exponential(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Schedule.exponential: initial must be > 0, was PT-0.005S");
        assertThatThrownBy(() -> Schedule.exponential(Duration.ofMillis(1), 0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Schedule.exponential: factor must be >= 1 and finite, was 0.5");
        assertThatThrownBy(() -> Schedule.exponential(Duration.ofMillis(1), Double.NaN))
                .hasMessage("Schedule.exponential: factor must be >= 1 and finite, was NaN");
        assertThatThrownBy(() -> Schedule.exponential(Duration.ofMillis(1), Double.POSITIVE_INFINITY))
                .hasMessage("Schedule.exponential: factor must be >= 1 and finite, was Infinity");
        assertThatThrownBy(() -> Schedule.fixedDelay(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Schedule.fixedDelay: delay must be >= 0, was PT-1S");
        assertThatThrownBy(() -> Schedule.immediate().maxDelay(Duration.ofSeconds(-2)))
                .hasMessage("Schedule.maxDelay: max must be >= 0, was PT-2S");
        assertThatThrownBy(() -> Schedule.immediate().maxElapsed(Duration.ofSeconds(-3)))
                .hasMessage("Schedule.maxElapsed: max must be >= 0, was PT-3S");
        assertThatThrownBy(() -> Schedule.immediate().maxAttempts(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Schedule.maxAttempts: attempts must be >= 1, was 0");
        assertThatThrownBy(() -> Schedule.immediate().maxAttempts(-7))
                .hasMessage("Schedule.maxAttempts: attempts must be >= 1, was -7");
        assertThatThrownBy(() -> Schedule.fixedDelay(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("Schedule.fixedDelay: delay must not be null");
        assertThatThrownBy(() -> Schedule.immediate().retryIf(null))
                .hasMessage("Schedule.retryIf: predicate must not be null");
        assertThatThrownBy(() -> Schedule.immediate().withJitter(null))
                .hasMessage("Schedule.withJitter: random must not be null");
        assertThatThrownBy(() -> Schedule.immediate().onRetry(null))
                .hasMessage("Schedule.onRetry: hook must not be null");
    }

    @Test
    void toStringDescribesTheSettings() {
        assertThat(Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(5)).withJitter()
                .maxAttempts(6).maxElapsed(Duration.ofMinutes(1)).retryIf(e -> true))
                .hasToString("Schedule[exponential(100 ms, x2.0), maxDelay=5 s, jitter=full, maxAttempts=6, "
                        + "maxElapsed=1 min, retryIf]");
        assertThat(Schedule.immediate()).hasToString("Schedule[immediate]");
    }

    /** The examples of the Javadoc of {@link Schedule} and {@link Concurrency#retry(Schedule, Effect)}. */
    @Test
    void theJavadocExamplesCompile() {
        java.nio.file.Path path = java.nio.file.Path.of("does-not-exist.txt");
        Effect<IOException, String> fetch = Effect.attempt(() -> java.nio.file.Files.readString(path),
                e -> e instanceof IOException io ? io : new IOException(e));
        Effect<IOException, String> robust = Concurrency.retry(
                Schedule.exponential(Duration.ofMillis(100))   // 100 ms, 200 ms, 400 ms, ...
                        .maxDelay(Duration.ofSeconds(5))
                        .withJitter()
                        .maxAttempts(6)
                        .retryIf(e -> !(e instanceof java.nio.file.NoSuchFileException)),
                fetch);
        Exit<IOException, String> missing = robust.run(); // not retried: the file is missing
        assertThat(missing).isInstanceOf(Exit.Failure.class);

        Effect<String, Integer> e = Concurrency.retry(Schedule.immediate().maxAttempts(3), Effect.fail("x"));
        assertThat(e.run()).isEqualTo(Exit.failure("x"));
        Schedule<Object> everySecond = Schedule.fixedDelay(Duration.ofSeconds(1)).maxAttempts(5);
        Schedule<Object> backoff = Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(10));
        Schedule<Object> gentle = Schedule.exponential(Duration.ofMillis(100), 1.5); // 100, 150, 225 ms, ...
        Schedule<Object> capped = Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(2));
        Schedule<Object> spread = Schedule.exponential(Duration.ofMillis(100)).withJitter();
        Schedule<Object> reproducible = Schedule.fixedDelay(Duration.ofSeconds(1))
                .withJitter(new java.util.SplittableRandom(42));
        Schedule<Object> threeRuns = Schedule.fixedDelay(Duration.ofMillis(50)).maxAttempts(3);
        Schedule<Object> withinAMinute = Schedule.exponential(Duration.ofSeconds(1)).maxElapsed(Duration.ofMinutes(1));
        Effect<String, String> call = Effect.fail("503");
        Effect<String, String> retried = Concurrency.retry(
                Schedule.fixedDelay(Duration.ofMillis(10)).maxAttempts(3).retryIf(err -> err.startsWith("5")),
                call);
        Schedule<String> logged = Schedule.fixedDelay(Duration.ofMillis(100)).maxAttempts(3)
                .onRetry(r -> Effect.sync(() -> {
                    System.out.println("attempt " + r.attempt() + " failed with " + r.error()
                            + ", retrying in " + r.delay());
                    return Unit.UNIT;
                }));
        Effect<String, String> call503 = Effect.fail("503 Service Unavailable");
        Effect<String, String> retried503 = Concurrency.retry(
                Schedule.exponential(Duration.ofMillis(100)).withJitter().maxAttempts(5)
                        .retryIf(err -> err.startsWith("5")),
                call503);
        assertThat(List.of(everySecond, backoff, gentle, capped, spread, reproducible, threeRuns, withinAMinute,
                logged)).doesNotContainNull();
        assertThat(List.of(retried, retried503)).doesNotContainNull();
        assertThat(gentle.nextDelayNanos(3, "e", 0)).isEqualTo(225 * MS);
    }
}
