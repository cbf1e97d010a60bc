package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code sleep} on the system clock waits on the runtime's timer queue (an untimed park woken by the timer
 * thread): it lasts at least its duration, and neither a finished nor a cancelled sleep leaves a timer armed.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SleepOnTimersTest {

    @Test
    void aSleepLastsAtLeastItsDurationAndDisarmsItsTimer() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            long start = System.nanoTime();
            Exit<String, Unit> exit = rt.run(Concurrency.<String>sleep(30));
            long elapsed = System.nanoTime() - start;
            assertThat(exit).isEqualTo(Exit.success(Unit.UNIT));
            assertThat(elapsed).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
            assertThat(rt.timers.size()).isZero();
        }
    }

    @Test
    void cancelledSleepersLeaveNoTimerArmed() throws Exception {
        int n = 1_000;
        try (EffectRuntime rt = EffectRuntime.create()) {
            CountDownLatch started = new CountDownLatch(n);
            Effect<String, Unit> sleeper = Effect.<String, Unit>sync(() -> {
                started.countDown();
                return Unit.UNIT;
            }).then(Concurrency.sleep(3_600_000));
            Exit<String, Boolean> exit = rt.run(Effect.<String, Boolean>gen(d -> {
                Task<String, Unit> scope = d.await(Concurrency.spawn(Concurrency.<String, Unit>scope(s -> Effect.gen(b -> {
                    for (int i = 0; i < n; i++) {
                        b.await(s.spawn(sleeper));
                    }
                    return b.await(Effect.<String, Unit>never());
                }))));
                TestFibers.await(started, "every sleeper to start");
                d.await(scope.cancel());
                return d.await(scope.isCancelled());
            }));
            assertThat(exit).isEqualTo(Exit.success(true));
            assertThat(rt.timers.size()).isZero();
            assertThat(rt.liveFibers()).isZero();
        }
    }
}
