package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Concurrency#raceSuccess} honours its caller's cancellation after the calling branch has failed:
 * it used to wait for the other branches regardless, and hung.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RaceSuccessCancellationTest {

    private static Effect<String, String> failedThenNever() {
        return Concurrency.raceSuccess(Effect.fail("a"), Effect.never());
    }

    @Test
    void aTimeoutAroundRaceSuccessOfAFailureAndNeverFires() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            assertThat(v.run(Concurrency.timeoutWith(1000, "t", failedThenNever()))).isEqualTo(Exit.failure("t"));
            assertThat(v.nowMillis()).isEqualTo(1000);
        }
    }

    @Test
    void aTimeoutAroundRaceSuccessOfAFailureAndASlowSuccessFiresOnTime() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, String> race = Concurrency.raceSuccess(Effect.fail("a"),
                    Concurrency.<String>sleep(3000).as("slow"));
            assertThat(v.run(Concurrency.timeoutWith(300, "t", race))).isEqualTo(Exit.failure("t"));
            assertThat(v.nowMillis()).isEqualTo(300);
        }
    }

    @Test
    void raceSuccessAllOfTwoFailuresAndNeverIsCancelledByATimeout() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, String> race = Concurrency.raceSuccessAll(List.of(Effect.fail("a"), Effect.fail("b"),
                    Effect.never()));
            assertThat(v.run(Concurrency.timeoutWith(100, "t", race))).isEqualTo(Exit.failure("t"));
        }
    }

    @Test
    void cancellingATaskThatRunsRaceSuccessReturns() {
        Effect<String, Boolean> program = Concurrency.<String, String>spawn(failedThenNever())
                .flatMap(task -> Concurrency.<String>sleep(10).then(task.<String>cancel()).then(task.isCancelled()));
        assertThat(program.run()).isEqualTo(Exit.success(true));
    }

    @Test
    void aFailingParSiblingCancelsRaceSuccess() {
        Effect<String, Pair<String, String>> program = Concurrency.par(failedThenNever(),
                Concurrency.<String>sleep(10).then(Effect.fail("b")));
        assertThat(program.run()).isEqualTo(Exit.failure("b"));
    }

    @Test
    void anInterruptOfTheRunCallerCancelsRaceSuccess() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Exit<String, String>> result = new AtomicReference<>();
        Effect<String, String> program = Effect.<String, Unit>sync(() -> {
            started.countDown();
            return Unit.UNIT;
        }).then(failedThenNever());
        Thread caller = Thread.ofPlatform().start(() -> result.set(program.run()));
        started.await();
        caller.interrupt();
        caller.join();
        assertThat(result.get()).isEqualTo(Exit.cancelled());
    }
}
