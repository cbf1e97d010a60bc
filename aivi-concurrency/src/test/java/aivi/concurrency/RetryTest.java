package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Concurrency#retry(Schedule, Effect)} (and the seed's {@link Concurrency#retry(int, Effect)}) on a
 * runtime: attempts, outcomes, and every delay observed on a {@link TestRuntime}'s virtual clock in no real
 * time.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(60)
class RetryTest {

    private static final long MS = 1_000_000L;

    /** An effect that counts its runs and fails with "e1", "e2", ... */
    private static final class Flaky {
        final AtomicInteger runs = new AtomicInteger();

        /** Fails on every run. */
        Effect<String, Integer> alwaysFailing() {
            return succeedingOnRun(Integer.MAX_VALUE);
        }

        /** Fails until run {@code n}, which succeeds with {@code n}. */
        Effect<String, Integer> succeedingOnRun(int n) {
            return Effect.<String, Integer>sync(runs::incrementAndGet)
                    .flatMap(run -> run >= n ? Effect.succeed(run) : Effect.fail("e" + run));
        }
    }

    /**
     * Runs an always-failing effect under {@code schedule} on a {@link TestRuntime} and checks that attempt
     * {@code i + 2} starts exactly {@code expectedNanos[i]} of virtual time after attempt {@code i + 1} (none
     * early, none late), and that the retry fails with the last error after {@code expectedNanos.length + 1}
     * runs.
     */
    private static void assertDelays(Schedule<? super String> schedule, long... expectedNanos) {
        try (TestRuntime rt = TestRuntime.create()) {
            List<Long> startedAt = new CopyOnWriteArrayList<>();
            Effect<String, Integer> failing = Effect.suspend(() -> {
                startedAt.add(rt.clock().nanoTime());
                return Effect.fail("e" + startedAt.size());
            });
            assertThat(rt.run(Concurrency.retry(schedule, failing)))
                    .isEqualTo(Exit.failure("e" + (expectedNanos.length + 1)));
            assertThat(startedAt).hasSize(expectedNanos.length + 1);
            long[] gaps = new long[expectedNanos.length];
            for (int i = 0; i < gaps.length; i++) {
                gaps[i] = startedAt.get(i + 1) - startedAt.get(i);
            }
            assertThat(gaps).as("virtual time between attempts").containsExactly(expectedNanos);
            assertThat(rt.clock().nanoTime()).isEqualTo(java.util.Arrays.stream(expectedNanos).sum());
            NoLeakedFibers.assertNoLiveFibers(rt.runtime());
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // attempts and outcomes

    @Test
    void retryWithAScheduleRunsTheEffectMaxAttemptsTimesInTotalAndFailsWithTheLastError() {
        Flaky flaky = new Flaky();
        Exit<String, Integer> exit = Concurrency.retry(Schedule.immediate().maxAttempts(4), flaky.alwaysFailing())
                .run();
        assertThat(exit).isEqualTo(Exit.failure("e4"));
        assertThat(flaky.runs).hasValue(4);
    }

    @Test
    void maxAttemptsOneRunsTheEffectOnce() {
        Flaky flaky = new Flaky();
        assertThat(Concurrency.retry(Schedule.immediate().maxAttempts(1), flaky.alwaysFailing()).run())
                .isEqualTo(Exit.failure("e1"));
        assertThat(flaky.runs).hasValue(1);
    }

    @Test
    void retryStopsAtTheFirstSuccess() {
        Flaky flaky = new Flaky();
        assertThat(Concurrency.retry(Schedule.immediate().maxAttempts(10), flaky.succeedingOnRun(3)).run())
                .isEqualTo(Exit.success(3));
        assertThat(flaky.runs).hasValue(3);
    }

    @Test
    void theSeedRetryCountsTotalRunsAndKeepsTheLastError() {
        Flaky flaky = new Flaky();
        assertThat(Concurrency.retry(3, flaky.alwaysFailing()).run()).isEqualTo(Exit.failure("e3"));
        assertThat(flaky.runs).hasValue(3);
    }

    @Test
    void defectsAreNeverRetried() {
        AtomicInteger runs = new AtomicInteger();
        IllegalStateException bug = new IllegalStateException("bug");
        Effect<String, Integer> dies = Effect.sync(() -> {
            runs.incrementAndGet();
            throw bug;
        });
        Exit<String, Integer> exit = Concurrency.retry(Schedule.immediate().maxAttempts(5), dies).run();
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        assertThat(((Exit.Defect<String, Integer>) exit).cause()).isSameAs(bug);
        assertThat(runs).hasValue(1);
        assertThat(Concurrency.retry(5, dies).run()).isInstanceOf(Exit.Defect.class);
        assertThat(runs).hasValue(2);
    }

    @Test
    void aCancelledAttemptIsNotRetried() {
        AtomicInteger runs = new AtomicInteger();
        Effect<String, Integer> joinsACancelledTask = Effect.gen(d -> {
            runs.incrementAndGet();
            Task<String, Integer> t = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
            d.await(t.cancel());
            return d.await(t.join());
        });
        assertThat(Concurrency.retry(Schedule.immediate().maxAttempts(5), joinsACancelledTask).run())
                .isEqualTo(Exit.cancelled());
        assertThat(runs).hasValue(1);
    }

    @Test
    void attemptsBelowOneThrowAtTheCall() {
        Effect<String, Integer> e = Effect.fail("x");
        assertThatThrownBy(() -> Concurrency.retry(0, e))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Concurrency.retry: attempts must be >= 1, was 0");
        assertThatThrownBy(() -> Concurrency.retry(-3, e))
                .hasMessage("Concurrency.retry: attempts must be >= 1, was -3");
        assertThatThrownBy(() -> Concurrency.retry(Schedule.immediate().maxAttempts(0), e))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Schedule.maxAttempts: attempts must be >= 1, was 0");
        assertThatThrownBy(() -> Concurrency.retry((Schedule<Object>) null, e))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("Concurrency.retry: schedule must not be null");
    }

    @Test
    void anErrorThePredicateRejectsFailsAtOnce() {
        AtomicInteger runs = new AtomicInteger();
        List<String> errors = List.of("503", "502", "404", "500");
        Effect<String, Integer> call = Effect.suspend(() -> Effect.fail(errors.get(runs.getAndIncrement())));
        Exit<String, Integer> exit = Concurrency.retry(
                Schedule.immediate().maxAttempts(10).retryIf(e -> e.startsWith("5")), call).run();
        assertThat(exit).isEqualTo(Exit.failure("404"));
        assertThat(runs).hasValue(3);
    }

    @Test
    void aPredicateThatThrowsIsADefect() {
        IllegalStateException bug = new IllegalStateException("predicate bug");
        Exit<String, Integer> exit = Concurrency.retry(Schedule.immediate().retryIf(e -> {
            throw bug;
        }), Effect.<String, Integer>fail("x")).run();
        assertThat(exit).isEqualTo(Exit.defect(bug));
    }

    @Test
    void eachAttemptsFinalizersRunBeforeTheNextAttempt() {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger finalized = new AtomicInteger();
        Effect<String, Integer> attempt = Effect.<String, Integer>suspend(() -> {
            assertThat(finalized.get()).as("finalizers before attempt " + (runs.get() + 1)).isEqualTo(runs.get());
            runs.incrementAndGet();
            return Effect.fail("x");
        }).ensuring(Effect.sync(finalized::incrementAndGet));
        assertThat(Concurrency.retry(Schedule.immediate().maxAttempts(3), attempt).run())
                .isEqualTo(Exit.failure("x"));
        assertThat(finalized).hasValue(3);
    }

    @Test
    void manyImmediateRetriesRunInConstantStack() {
        AtomicInteger runs = new AtomicInteger();
        Effect<String, Integer> e = Effect.<String, Integer>sync(runs::incrementAndGet)
                .flatMap(n -> Effect.fail("e" + n));
        assertThat(Concurrency.retry(Schedule.immediate().maxAttempts(100_000), e).run())
                .isEqualTo(Exit.failure("e100000"));
        assertThat(runs).hasValue(100_000);
    }

    @Test
    void theScheduleTakesTheEffectsErrorTypeWithoutTypeWitnesses() {
        AtomicInteger runs = new AtomicInteger();
        Effect<IOException, String> read = Effect.suspend(() -> runs.incrementAndGet() < 3
                ? Effect.fail(new IOException("busy"))
                : Effect.fail(new FileNotFoundException("gone")));
        Schedule<Object> shared = Schedule.exponential(Duration.ofMillis(1)).maxDelay(Duration.ofMillis(2));
        Exit<IOException, String> exit = Concurrency.retry(
                shared.maxAttempts(10).retryIf(e -> e.getMessage().equals("busy")), read).run();
        assertThat(exit).isInstanceOf(Exit.Failure.class);
        assertThat(((Exit.Failure<IOException, String>) exit).error()).isInstanceOf(FileNotFoundException.class);
        assertThat(runs).hasValue(3);
        assertThat(Concurrency.retry(shared.maxAttempts(2), Effect.<IOException, String>succeed("ok")).run())
                .isEqualTo(Exit.success("ok"));
    }

    // ------------------------------------------------------------------------------------------------------
    // delays on the runtime's clock

    @Test
    void immediateNeverWaitsOnTheClock() {
        assertDelays(Schedule.immediate().maxAttempts(4), 0, 0, 0);
    }

    @Test
    void fixedDelayWaitsTheSameTimeOnTheRuntimeClock() {
        assertDelays(Schedule.fixedDelay(Duration.ofMillis(100)).maxAttempts(4), 100 * MS, 100 * MS, 100 * MS);
    }

    @Test
    void exponentialDoublesTheDelayOnTheRuntimeClock() {
        assertDelays(Schedule.exponential(Duration.ofMillis(100)).maxAttempts(5),
                100 * MS, 200 * MS, 400 * MS, 800 * MS);
    }

    @Test
    void exponentialWithAFactorOnTheRuntimeClock() {
        assertDelays(Schedule.exponential(Duration.ofSeconds(1), 3).maxAttempts(4),
                1_000 * MS, 3_000 * MS, 9_000 * MS);
    }

    @Test
    void maxDelayCapsTheBackoffOnTheRuntimeClock() {
        assertDelays(Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofMillis(250)).maxAttempts(5),
                100 * MS, 200 * MS, 250 * MS, 250 * MS);
    }

    @Test
    void seededJitterGivesReproducibleDelaysWithinBoundsOnTheRuntimeClock() {
        SplittableRandom reference = new SplittableRandom(11);
        long[] expected = new long[5];
        for (int i = 0; i < expected.length; i++) {
            long cap = Math.min(100L << i, 1_000) * MS;
            expected[i] = reference.nextLong(cap + 1);
            assertThat(expected[i]).isBetween(0L, cap);
        }
        assertDelays(Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(1))
                .withJitter(new SplittableRandom(11)).maxAttempts(6), expected);
    }

    @Test
    void maxElapsedEndsTheRetryBeforeAnAttemptWouldStartTooLate() {
        // 1 s, 2 s, then 3 s elapsed + 4 s > 5 s: three runs, no wait after the last one
        assertDelays(Schedule.exponential(Duration.ofSeconds(1)).maxElapsed(Duration.ofSeconds(5)),
                1_000 * MS, 2_000 * MS);
    }

    @Test
    void maxElapsedCountsTheAttemptsOwnTimeAndOnRetryReportsEachRetry() {
        try (TestRuntime rt = TestRuntime.create()) {
            List<Long> startedAtMs = new CopyOnWriteArrayList<>();
            List<Schedule.RetryEvent<String>> retries = new CopyOnWriteArrayList<>();
            Effect<String, Integer> slow = Effect.suspend(() -> { // each attempt takes 2 s, then fails
                startedAtMs.add(rt.clock().nanoTime() / MS);
                int run = startedAtMs.size();
                return Concurrency.<String>sleep(2_000).then(Effect.fail("e" + run));
            });
            Schedule<String> schedule = Schedule.fixedDelay(Duration.ofSeconds(1)).maxElapsed(Duration.ofSeconds(6))
                    .onRetry(r -> Effect.sync(() -> retries.add(r)));
            // attempt 1 runs 0..2 s, fails; 2 + 1 <= 6: retry at 3 s. Attempt 2 runs 3..5 s; 5 + 1 <= 6: retry
            // at 6 s. Attempt 3 runs 6..8 s; 8 + 1 > 6: fails with e3 at once, without waiting.
            assertThat(rt.run(Concurrency.retry(schedule, slow))).isEqualTo(Exit.failure("e3"));
            assertThat(startedAtMs).containsExactly(0L, 3_000L, 6_000L);
            assertThat(retries).containsExactly(
                    new Schedule.RetryEvent<>(1, "e1", Duration.ofSeconds(1), Duration.ofSeconds(2)),
                    new Schedule.RetryEvent<>(2, "e2", Duration.ofSeconds(1), Duration.ofSeconds(5)));
            assertThat(rt.clock().nanoTime()).isEqualTo(8_000 * MS);
            NoLeakedFibers.assertNoLiveFibers(rt.runtime());
        }
    }

    @Test
    void cancellingDuringADelayEndsTheRetryPromptlyWithoutAnotherAttempt() {
        try (TestRuntime rt = TestRuntime.create()) {
            Flaky flaky = new Flaky();
            // the timeout cancels the retry half-way through its one-hour delay
            Exit<String, Integer> exit = rt.run(Concurrency.timeoutWith(Duration.ofMinutes(30).toMillis(), "timeout",
                    Concurrency.retry(Schedule.fixedDelay(Duration.ofHours(1)), flaky.alwaysFailing())));
            assertThat(exit).isEqualTo(Exit.failure("timeout"));
            assertThat(flaky.runs).hasValue(1);
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofMinutes(30).toNanos());
            assertThat(rt.clock().sleepers()).isZero();
            NoLeakedFibers.assertNoLiveFibers(rt.runtime());
        }
    }

    @Test
    void cancellingTheRetryingTaskStopsItDuringADelay() {
        try (TestRuntime rt = TestRuntime.create()) {
            Flaky flaky = new Flaky();
            Effect<String, Boolean> program = Effect.gen(d -> {
                Task<String, Integer> t = d.await(Concurrency.spawn(
                        Concurrency.retry(Schedule.exponential(Duration.ofMinutes(1)), flaky.alwaysFailing())));
                d.await(Concurrency.sleep(30_000)); // the task waits its first one-minute delay meanwhile
                d.await(t.cancel());
                return d.await(t.isCancelled());
            });
            assertThat(rt.run(program)).isEqualTo(Exit.success(true));
            assertThat(flaky.runs).hasValue(1);
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofSeconds(30).toNanos());
            NoLeakedFibers.assertNoLiveFibers(rt.runtime());
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // onRetry

    @Test
    void onRetryReportsEachRetryButNotTheFinalFailure() {
        Flaky flaky = new Flaky();
        List<Schedule.RetryEvent<String>> events = new CopyOnWriteArrayList<>();
        Schedule<String> schedule = Schedule.immediate().maxAttempts(3)
                .onRetry(r -> Effect.sync(() -> events.add(r)));
        assertThat(Concurrency.retry(schedule, flaky.alwaysFailing()).run()).isEqualTo(Exit.failure("e3"));
        assertThat(events).extracting(Schedule.RetryEvent::attempt, Schedule.RetryEvent::error,
                        Schedule.RetryEvent::delay)
                .containsExactly(tuple(1, "e1", Duration.ZERO), tuple(2, "e2", Duration.ZERO));
        assertThat(events).allSatisfy(r -> assertThat(r.elapsed().isNegative()).isFalse());
    }

    @Test
    void aFailingHookEndsTheRetryWithADefect() {
        Flaky flaky = new Flaky();
        Exit<String, Integer> exit = Concurrency.retry(Schedule.immediate().maxAttempts(5)
                .onRetry(r -> Effect.fail("hook broke")), flaky.alwaysFailing()).run();
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        Throwable cause = ((Exit.Defect<String, Integer>) exit).cause();
        assertThat(cause).isInstanceOf(FailureException.class);
        assertThat(((FailureException) cause).error()).isEqualTo("hook broke");
        assertThat(flaky.runs).hasValue(1);
    }
}
