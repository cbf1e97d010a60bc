package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TestRuntime}: virtual time moves by itself exactly when every fiber waits in a library wait, and a
 * run in which every fiber waits with no deadline left ends in a {@link DeadlockException}. No test here
 * waits on real time or uses a second thread to move the clock.
 */
@ExtendWith(NoLeakedFibers.class)
class TestRuntimeTest {

    private static final Effects<String> fx = Effects.of(String.class);

    private static long seconds(TestRuntime rt) {
        return Duration.ofNanos(rt.clock().nanoTime()).toSeconds();
    }

    private static Effect<String, Long> nowMillis(TestRuntime rt) {
        return Effect.sync(() -> rt.clock().nanoTime() / 1_000_000L);
    }

    @Test
    @Timeout(10)
    void aYearOfSleepTakesNoRealTimeAndEndsAtExactlyAYear() {
        long start = System.nanoTime();
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, Unit> exit = rt.run(Concurrency.sleep(Duration.ofDays(365)));
            assertThat(exit).isEqualTo(Exit.success(Unit.UNIT));
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofDays(365).toNanos());
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void runVirtualCreatesRunsAndCloses() {
        assertThat(TestRuntime.runVirtual(Concurrency.<String>sleep(Duration.ofDays(365)).as(7)))
                .isEqualTo(Exit.success(7));
    }

    @Test
    void aThirtySecondTimeoutFiresAtExactlyThirtySeconds() {
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, Integer> exit = rt.run(Concurrency.timeoutWith(30_000, "timeout",
                    fx.sleep(60_000).as(1)));
            assertThat(exit).isEqualTo(Exit.failure("timeout"));
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofSeconds(30).toNanos());
        }
    }

    @Test
    void anEffectThatBeatsItsTimeoutKeepsItsValueAndTheClockStopsAtItsEnd() {
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, Integer> exit = rt.run(Concurrency.timeoutWith(30_000, "timeout", fx.sleep(10_000).as(1)));
            assertThat(exit).isEqualTo(Exit.success(1));
            assertThat(seconds(rt)).isEqualTo(10);
        }
    }

    @Test
    void retryWithBackoffOfOneTwoFourEightSecondsEndsAtExactlyFifteenSeconds() {
        try (TestRuntime rt = TestRuntime.create()) {
            AtomicInteger calls = new AtomicInteger();
            List<Long> attemptsAt = new ArrayList<>();
            Effect<String, String> flaky = Effect.suspend(() -> {
                attemptsAt.add(rt.clock().nanoTime() / 1_000_000L);
                return calls.incrementAndGet() < 5 ? Effect.fail("busy") : Effect.succeed("ok");
            });
            Schedule<String> backoff = Schedule.<String>exponential(Duration.ofSeconds(1)).maxAttempts(5);
            assertThat(rt.run(Concurrency.retry(backoff, flaky))).isEqualTo(Exit.success("ok"));
            assertThat(attemptsAt).containsExactly(0L, 1_000L, 3_000L, 7_000L, 15_000L);
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofSeconds(15).toNanos());
        }
    }

    @Test
    void parallelSleepsEndAtTheLongestAndEachWakesAtItsOwnDeadline() {
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, Pair<Long, Long>> exit = rt.run(Concurrency.par(
                    fx.sleep(3_000).then(nowMillis(rt)),
                    fx.sleep(5_000).then(nowMillis(rt))));
            assertThat(exit).isEqualTo(Exit.success(new Pair<>(3_000L, 5_000L)));
            assertThat(seconds(rt)).isEqualTo(5);
        }
    }

    @Test
    @Timeout(20)
    void timeStandsStillWhileAFiberIsBlockedOutsideTheLibrary() {
        // One branch blocks in Thread.sleep (outside the library, so it counts as busy) while the other
        // sleeps for 1 ms of virtual time: the clock must not move until the first branch is done.
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, Pair<Long, Long>> exit = rt.run(Concurrency.par(
                    Effect.<String, Long>sync(() -> {
                        try {
                            Thread.sleep(100); // real work in flight; not a way of ordering anything
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return rt.clock().nanoTime();
                    }),
                    fx.sleep(1).then(nowMillis(rt))));
            assertThat(exit).isEqualTo(Exit.success(new Pair<>(0L, 1L)));
        }
    }

    @Test
    void severalRunsShareTheClockOneAfterTheOther() {
        try (TestRuntime rt = TestRuntime.create()) {
            rt.run(Concurrency.sleep(1_000));
            rt.run(Concurrency.sleep(2_000));
            assertThat(seconds(rt)).isEqualTo(3);
        }
    }

    @Test
    void aDetachedFiberSleepingAloneMovesTimeAndCloseCancelsIt() {
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, Unit> exit = rt.run(Concurrency.spawnDetached(fx.sleep(Duration.ofDays(1).toMillis()))
                    .then(fx.sleep(10)));
            assertThat(exit).isEqualTo(Exit.success(Unit.UNIT));
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofMillis(10).toNanos());
        }
    }

    @Test
    void aTimedSelectWithNoCounterpartTimesOutOnVirtualTime() {
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, String> exit = rt.run(Concurrency.<String, String>make().flatMap(ch ->
                    Concurrency.selectWithin(5_000, () -> "timed out", Clause.recv(ch.second(), r -> "got"))));
            assertThat(exit).isEqualTo(Exit.success("timed out"));
            assertThat(seconds(rt)).isEqualTo(5);
        }
    }

    @Test
    void aLongPingPongOverARendezvousChannelNeverMovesTime() {
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, Integer> exit = rt.run(Concurrency.<String, Integer>makeBounded(0).flatMap(ch ->
                    Concurrency.par(
                            Effect.<String, Unit>gen(d -> {
                                for (int i = 0; i < 2_000; i++) {
                                    d.await(ch.first().send(i));
                                }
                                return Unit.UNIT;
                            }).then(ch.first().close()),
                            ch.second().<String, Integer>fold(0, Integer::sum))
                    .map(Pair::second)));
            assertThat(exit).isEqualTo(Exit.success(1_999 * 2_000 / 2));
            assertThat(rt.clock().nanoTime()).isZero();
        }
    }

    @Test
    void handOffsNeverLetTimeJumpWhileAnotherFiberSleeps() {
        // Every hand-off wakes a receiver at the instant the sender parks: if the detector took that moment
        // for idleness, the sleeper's 1 ms would pass before the ping-pong ends.
        try (TestRuntime rt = TestRuntime.create()) {
            for (int round = 0; round < 20; round++) {
                long start = rt.clock().nanoTime();
                Exit<String, Pair<Long, Long>> exit = rt.run(Concurrency.<String, Integer>makeBounded(0).flatMap(ping ->
                        Concurrency.<String, Integer>makeBounded(0).flatMap(pong -> Concurrency.par(
                                Concurrency.par(
                                        Effect.<String, Unit>gen(d -> {
                                            for (int i = 0; i < 200; i++) {
                                                d.await(ping.first().send(i));
                                                d.await(pong.second().recv());
                                            }
                                            return Unit.UNIT;
                                        }),
                                        Effect.<String, Unit>gen(d -> {
                                            for (int i = 0; i < 200; i++) {
                                                d.await(ping.second().recv());
                                                d.await(pong.first().send(i));
                                            }
                                            return Unit.UNIT;
                                        })).then(Effect.sync(() -> rt.clock().nanoTime() - start)),
                                fx.sleep(1).then(Effect.sync(() -> rt.clock().nanoTime() - start))))));
                assertThat(exit).as("round " + round).isEqualTo(Exit.success(new Pair<>(0L, 1_000_000L)));
            }
        }
    }

    @Test
    void timersFiringAsTheClockAdvancesDecideEveryTimeoutAtItsExactInstant() {
        // 300 fibers with timeouts and sleeps on nearby deadlines: each timer fires while the clock is being
        // advanced for others. Each outcome and its instant follow from the numbers alone.
        int n = 300;
        try (TestRuntime rt = TestRuntime.create()) {
            List<Effect<String, String>> all = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long limit = 1 + (i * 7L) % 13;
                long work = 1 + (i * 5L) % 11;
                if (limit == work) {
                    work++; // equal deadlines race by design; keep every case decided
                }
                Effect<String, String> timed = Concurrency.timeoutWith(limit, "timeout",
                        fx.sleep(work).as("done"));
                all.add(timed.<String>exit().map(e -> e + "@" + rt.clock().nanoTime() / 1_000_000L));
                expected.add((work < limit ? Exit.success("done") : Exit.failure("timeout")) + "@"
                        + Math.min(work, limit));
            }
            Exit<String, List<String>> exit = rt.run(Concurrency.parAll(all));
            assertThat(exit).isEqualTo(Exit.success(expected));
        }
    }

    @Test
    void theRuntimeFibersAreNamedAfterTheTestPrefix() {
        try (TestRuntime rt = TestRuntime.create()) {
            String name = rt.runOrThrow(Effect.sync(() -> Thread.currentThread().getName()));
            assertThat(name).startsWith("test-fiber-");
        }
    }
}
