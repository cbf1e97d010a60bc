package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code sleep} on the system clock waits on the runtime's timer queue (an untimed park woken by the timer
 * thread): it lasts at least its duration, a stray wake-up does not end it early, and neither a finished nor a
 * cancelled sleep leaves a timer armed.
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

    @Test
    void aSleeperParksUntimedWithItsTimerArmed() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            Exit<String, Unit> exit = rt.run(Effect.<String, Unit>gen(d -> {
                Task<String, Unit> sleeper = d.await(Concurrency.spawn(Concurrency.<String>sleep(3_600_000)));
                TestFibers.awaitParked(sleeper);
                Thread t = ((FiberTask<?, ?>) sleeper).fiber.thread;
                // WAITING, not TIMED_WAITING: the JDK holds no timer for it, so a cancel is a plain unpark
                assertThat(t.getState()).isEqualTo(Thread.State.WAITING);
                assertThat(rt.timers.size()).isEqualTo(1);
                d.await(sleeper.cancel());
                assertThat(rt.timers.size()).isZero();
                return Unit.UNIT;
            }));
            assertThat(exit).isEqualTo(Exit.success(Unit.UNIT));
        }
    }

    @Test
    void aStrayUnparkOrInterruptDoesNotEndASleepEarly() {
        long millis = 200;
        try (EffectRuntime rt = EffectRuntime.create()) {
            Exit<String, Long> exit = rt.run(Effect.<String, Long>gen(d -> {
                long start = System.nanoTime();
                Task<String, Unit> sleeper = d.await(Concurrency.spawn(Concurrency.<String>sleep(millis)));
                TestFibers.awaitParked(sleeper);
                Thread t = ((FiberTask<?, ?>) sleeper).fiber.thread;
                LockSupport.unpark(t);
                t.interrupt();
                assertThat(d.await(sleeper.join())).isEqualTo(Unit.UNIT);
                return System.nanoTime() - start;
            }));
            assertThat(exit).isInstanceOf(Exit.Success.class);
            assertThat(((Exit.Success<String, Long>) exit).value())
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(millis));
            assertThat(rt.timers.size()).isZero();
        }
    }
}
