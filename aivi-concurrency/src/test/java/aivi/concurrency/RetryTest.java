package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Concurrency#retry(Schedule, Effect)} (and the seed's {@link Concurrency#retry(int, Effect)}) on a
 * runtime: attempts, outcomes, and every delay observed on a {@link TestClock} in no real time.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(60)
class RetryTest {

    /** The generous real-time bound of every wait for a fiber to reach a point. */
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long MS = 1_000_000L;

    /** An effect that counts its runs, announces each start, and fails with "e1", "e2", ... */
    private static final class Flaky {
        final AtomicInteger runs = new AtomicInteger();
        final BlockingQueue<Integer> started = new LinkedBlockingQueue<>();

        /** Fails on every run. */
        Effect<String, Integer> alwaysFailing() {
            return succeedingOnRun(Integer.MAX_VALUE);
        }

        /** Fails until run {@code n}, which succeeds with {@code n}. */
        Effect<String, Integer> succeedingOnRun(int n) {
            return Effect.<String, Integer>sync(() -> {
                int run = runs.incrementAndGet();
                started.add(run);
                return run;
            }).flatMap(run -> run >= n ? Effect.succeed(run) : Effect.fail("e" + run));
        }

        /** Announces its start, then sleeps {@code millis} on the runtime's clock, then fails. */
        Effect<String, Integer> failingAfter(long millis) {
            return Effect.<String, Integer>sync(() -> {
                int run = runs.incrementAndGet();
                started.add(run);
                return run;
            }).flatMap(run -> Concurrency.<String>sleep(millis).then(Effect.fail("e" + run)));
        }

        int awaitStart() throws InterruptedException {
            Integer run = started.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(run).as("an attempt started within " + WAIT).isNotNull();
            return run;
        }
    }

    /** Runs an effect on a runtime from a background virtual thread, so the test can drive the clock. */
    private static <E, A> CompletableFuture<Exit<E, A>> runInBackground(EffectRuntime rt, Effect<E, A> effect,
                                                                        Thread[] runner) {
        CompletableFuture<Exit<E, A>> result = new CompletableFuture<>();
        runner[0] = Thread.ofVirtual().name("retry-test-runner").start(() -> result.complete(rt.run(effect)));
        return result;
    }

    private static <E, A> Exit<E, A> await(CompletableFuture<Exit<E, A>> result) throws Exception {
        return result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Runs an always-failing effect under {@code schedule} on a {@link TestClock} and checks that the retry
     * waits exactly {@code expectedNanos[i]} of virtual time after attempt {@code i + 1}, starting no attempt
     * early, and finally fails with the last error after {@code expectedNanos.length + 1} runs.
     */
    private static void assertDelays(Schedule<? super String> schedule, long... expectedNanos) throws Exception {
        TestClock clock = new TestClock();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock))) {
            Flaky flaky = new Flaky();
            CompletableFuture<Exit<String, Integer>> result =
                    runInBackground(rt, Concurrency.retry(schedule, flaky.alwaysFailing()), new Thread[1]);
            for (int i = 0; i < expectedNanos.length; i++) {
                assertThat(flaky.awaitStart()).isEqualTo(i + 1);
                long delay = expectedNanos[i];
                if (delay > 0) {
                    clock.awaitSleepers(1, WAIT);
                    assertThat(clock.nextDeadline() - clock.nanoTime()).as("delay after attempt %d", i + 1)
                            .isEqualTo(delay);
                    clock.advance(Duration.ofNanos(delay - 1));
                    assertThat(clock.sleepers()).as("still waiting 1 ns before the deadline").isEqualTo(1);
                    assertThat(flaky.runs).hasValue(i + 1);
                    clock.advance(Duration.ofNanos(1));
                }
            }
            assertThat(flaky.awaitStart()).isEqualTo(expectedNanos.length + 1);
            assertThat(await(result)).isEqualTo(Exit.failure("e" + (expectedNanos.length + 1)));
            assertThat(flaky.runs).hasValue(expectedNanos.length + 1);
            assertThat(clock.nanoTime()).isEqualTo(java.util.Arrays.stream(expectedNanos).sum());
            NoLeakedFibers.assertNoLiveFibers(rt);
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
    void immediateNeverWaitsOnTheClock() throws Exception {
        assertDelays(Schedule.immediate().maxAttempts(4), 0, 0, 0);
    }

    @Test
    void fixedDelayWaitsTheSameTimeOnTheRuntimeClock() throws Exception {
        assertDelays(Schedule.fixedDelay(Duration.ofMillis(100)).maxAttempts(4), 100 * MS, 100 * MS, 100 * MS);
    }

    @Test
    void exponentialDoublesTheDelayOnTheRuntimeClock() throws Exception {
        assertDelays(Schedule.exponential(Duration.ofMillis(100)).maxAttempts(5),
                100 * MS, 200 * MS, 400 * MS, 800 * MS);
    }

    @Test
    void exponentialWithAFactorOnTheRuntimeClock() throws Exception {
        assertDelays(Schedule.exponential(Duration.ofSeconds(1), 3).maxAttempts(4),
                1_000 * MS, 3_000 * MS, 9_000 * MS);
    }

    @Test
    void maxDelayCapsTheBackoffOnTheRuntimeClock() throws Exception {
        assertDelays(Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofMillis(250)).maxAttempts(5),
                100 * MS, 200 * MS, 250 * MS, 250 * MS);
    }

    @Test
    void seededJitterGivesReproducibleDelaysWithinBoundsOnTheRuntimeClock() throws Exception {
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
    void maxElapsedEndsTheRetryBeforeAnAttemptWouldStartTooLate() throws Exception {
        // 1 s, 2 s, then 3 s elapsed + 4 s > 5 s: three runs, no wait after the last one
        assertDelays(Schedule.exponential(Duration.ofSeconds(1)).maxElapsed(Duration.ofSeconds(5)),
                1_000 * MS, 2_000 * MS);
    }

    @Test
    void maxElapsedCountsTheAttemptsOwnTimeAndOnRetryReportsEachRetry() throws Exception {
        TestClock clock = new TestClock();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock))) {
            Flaky flaky = new Flaky();
            BlockingQueue<Schedule.RetryEvent<String>> retries = new LinkedBlockingQueue<>();
            Effect<String, Integer> slow = flaky.failingAfter(2_000);
            Schedule<String> schedule = Schedule.fixedDelay(Duration.ofSeconds(1)).maxElapsed(Duration.ofSeconds(6))
                    .onRetry(r -> Effect.sync(() -> retries.add(r)));
            CompletableFuture<Exit<String, Integer>> result =
                    runInBackground(rt, Concurrency.retry(schedule, slow), new Thread[1]);

            // attempt 1 runs 0..2 s; fails at 2 s; 2 + 1 <= 6: retry at 3 s
            assertThat(flaky.awaitStart()).isEqualTo(1);
            clock.awaitSleepers(1, WAIT);
            assertThat(clock.nextDeadline()).isEqualTo(2_000 * MS);
            clock.advance(Duration.ofSeconds(2));
            assertThat(retries.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new Schedule.RetryEvent<>(
                    1, "e1", Duration.ofSeconds(1), Duration.ofSeconds(2)));
            clock.awaitSleepers(1, WAIT);
            assertThat(clock.nextDeadline()).isEqualTo(3_000 * MS);
            clock.advance(Duration.ofSeconds(1));

            // attempt 2 runs 3..5 s; fails at 5 s; 5 + 1 <= 6: retry at 6 s
            assertThat(flaky.awaitStart()).isEqualTo(2);
            clock.awaitSleepers(1, WAIT);
            assertThat(clock.nextDeadline()).isEqualTo(5_000 * MS);
            clock.advance(Duration.ofSeconds(2));
            assertThat(retries.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new Schedule.RetryEvent<>(
                    2, "e2", Duration.ofSeconds(1), Duration.ofSeconds(5)));
            clock.awaitSleepers(1, WAIT);
            assertThat(clock.nextDeadline()).isEqualTo(6_000 * MS);
            clock.advance(Duration.ofSeconds(1));

            // attempt 3 runs 6..8 s; fails at 8 s; 8 + 1 > 6: fails with e3 at once, without waiting
            assertThat(flaky.awaitStart()).isEqualTo(3);
            clock.awaitSleepers(1, WAIT);
            assertThat(clock.nextDeadline()).isEqualTo(8_000 * MS);
            clock.advance(Duration.ofSeconds(2));
            assertThat(await(result)).isEqualTo(Exit.failure("e3"));
            assertThat(retries).isEmpty();
            assertThat(clock.nanoTime()).isEqualTo(8_000 * MS);
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void cancellingDuringADelayEndsTheRetryPromptlyWithoutAnotherAttempt() throws Exception {
        TestClock clock = new TestClock();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock))) {
            Flaky flaky = new Flaky();
            Thread[] runner = new Thread[1];
            CompletableFuture<Exit<String, Integer>> result = runInBackground(rt,
                    Concurrency.retry(Schedule.fixedDelay(Duration.ofHours(1)), flaky.alwaysFailing()), runner);
            assertThat(flaky.awaitStart()).isEqualTo(1);
            clock.awaitSleepers(1, WAIT);
            runner[0].interrupt(); // EffectRuntime.run cancels the root fiber when its caller is interrupted
            assertThat(await(result)).isEqualTo(Exit.cancelled());
            assertThat(clock.sleepers()).isZero();
            clock.advance(Duration.ofHours(2));
            assertThat(flaky.runs).hasValue(1);
            assertThat(clock.nanoTime()).isEqualTo(Duration.ofHours(2).toNanos());
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void cancellingTheRetryingTaskStopsItDuringADelay() throws Exception {
        TestClock clock = new TestClock();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock))) {
            Flaky flaky = new Flaky();
            Effect<String, Boolean> program = Effect.gen(d -> {
                Task<String, Integer> t = d.await(Concurrency.spawn(
                        Concurrency.retry(Schedule.exponential(Duration.ofMinutes(1)), flaky.alwaysFailing())));
                clock.awaitSleepers(1, WAIT); // the task waits after its first attempt
                d.await(t.cancel());
                return d.await(t.isCancelled());
            });
            assertThat(rt.run(program)).isEqualTo(Exit.success(true));
            assertThat(flaky.runs).hasValue(1);
            assertThat(clock.sleepers()).isZero();
            NoLeakedFibers.assertNoLiveFibers(rt);
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
