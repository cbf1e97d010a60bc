package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Under a {@link TestClock}, sleeps and timeouts complete exactly when the test advances virtual time past
 * their deadlines: instantly in real time, never before. The test learns that fibers have reached their
 * sleeps with {@link TestClock#awaitSleepers}, never by sleeping itself.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class TestClockTest {

    /** Real time a virtual 10-minute sleep may take: generous, and far below ten minutes. */
    private static final Duration INSTANT = Duration.ofSeconds(5);

    private final TestClock clock = new TestClock();
    private EffectRuntime rt;

    @BeforeEach
    void createRuntime() {
        rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock));
    }

    @AfterEach
    void closeRuntime() {
        NoLeakedFibers.assertNoLiveFibers(rt);
        rt.close();
    }

    private void awaitSleepers(int count) throws Exception {
        clock.awaitSleepers(count, TestFibers.GENEROUS);
    }

    @Test
    void aTenMinuteSleepCompletesInstantlyWhenTheClockPassesItsDeadlineAndNotBefore() {
        long realStart = System.nanoTime();
        String woke = rt.runOrThrow(Effect.<String, String>gen(d -> {
            Task<String, String> sleeper = d.await(Concurrency.spawn(
                    Concurrency.<String>sleep(Duration.ofMinutes(10)).as("woke")));
            awaitSleepers(1);

            clock.advance(Duration.ofMinutes(10).minusMillis(1));
            awaitSleepers(1); // still parked on the clock
            assertThat(sleeper.poll()).as("the sleep ended a millisecond before its deadline").isEmpty();

            clock.advance(Duration.ofMillis(1));
            return d.await(sleeper.join());
        }));

        assertThat(woke).isEqualTo("woke");
        assertThat(Duration.ofNanos(System.nanoTime() - realStart)).isLessThan(INSTANT);
        assertThat(clock.nanoTime()).isEqualTo(Duration.ofMinutes(10).toNanos());
    }

    @Test
    void aSleepOfZeroOrLessReturnsWithoutTheClockMoving() {
        assertThat(rt.run(Concurrency.<String>sleep(0).then(Concurrency.sleep(-5)))).isEqualTo(Exit.success(Unit.UNIT));
        assertThat(clock.nanoTime()).isZero();
    }

    @RepeatedTest(20)
    void timeoutWithFailsExactlyWhenTheClockPassesTheLimit() {
        Exit<String, String> exit = rt.runOrThrow(Effect.<String, Exit<String, String>>gen(d -> {
            // spawned as .exit(): a failed child would fail this fiber's scope
            Task<String, Exit<String, String>> limited = d.await(Concurrency.spawn(Concurrency.timeoutWith(1_000,
                    "timeout", Concurrency.<String>sleep(5_000).as("done")).<String>exit()));
            awaitSleepers(2); // the timeout's timer and the sleep

            clock.advance(Duration.ofMillis(999));
            awaitSleepers(2);
            assertThat(limited.poll()).as("timed out before the limit").isEmpty();

            clock.advance(Duration.ofMillis(1));
            return d.await(limited.join());
        }));

        assertThat(exit).isEqualTo(Exit.failure("timeout"));
    }

    @RepeatedTest(20)
    void timeoutWithYieldsTheOutcomeOfAnEffectThatEndsBeforeTheLimit() {
        Exit<String, String> exit = rt.runOrThrow(Effect.<String, Exit<String, String>>gen(d -> {
            Task<String, String> limited = d.await(Concurrency.spawn(Concurrency.timeoutWith(5_000, "timeout",
                    Concurrency.<String>sleep(1_000).as("done"))));
            awaitSleepers(2);
            clock.advance(Duration.ofMillis(1_000));
            return d.await(limited.await());
        }));

        assertThat(exit).isEqualTo(Exit.success("done"));
    }

    @Test
    void aCancelDoesNotCutShortASleepInsideAnUncancellableRegion() {
        AtomicInteger afterRegion = new AtomicInteger();
        Exit<String, Integer> exit = rt.runOrThrow(Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(Concurrency.<String>sleep(1_000).uncancellable()
                    .then(Effect.sync(afterRegion::incrementAndGet))));
            awaitSleepers(1);
            Task<String, Unit> canceller = d.await(Concurrency.spawn(task.cancel()));
            TestFibers.awaitCancelRequested(d, task);
            awaitSleepers(1);
            assertThat(task.poll()).as("the masked sleep ended on cancel").isEmpty();

            clock.advance(Duration.ofMillis(1_000));
            d.await(canceller.join());
            return d.await(task.await());
        }));

        assertThat(exit).isEqualTo(Exit.cancelled());
        assertThat(afterRegion).hasValue(0);
    }

    @Test
    void aTimeoutOpenedInsideAnUncancellableRegionStillCancelsItsOwnEffect() {
        Exit<String, Unit> exit = rt.runOrThrow(Effect.<String, Exit<String, Unit>>gen(d -> {
            Task<String, Exit<String, Unit>> task = d.await(Concurrency.spawn(
                    Concurrency.timeoutWith(100, "timeout", Concurrency.<String>sleep(60_000)).uncancellable()
                            .<String>exit()));
            awaitSleepers(2);
            clock.advance(Duration.ofMillis(100));
            return d.await(task.join());
        }));

        assertThat(exit).isEqualTo(Exit.failure("timeout"));
    }
}
