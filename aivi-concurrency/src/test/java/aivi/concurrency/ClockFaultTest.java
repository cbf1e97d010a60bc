package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A user {@link Clock} that throws must neither kill the timer thread nor corrupt a fiber's regions. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClockFaultTest {

    /** The system clock, except that chosen calls throw. */
    static final class FaultyClock implements Clock {
        /** How many more {@code nanoTime} calls on the timer thread throw. */
        final AtomicInteger timerThreadFailures = new AtomicInteger();
        /** How many more {@code parkUntil} calls on the timer thread throw. */
        final AtomicInteger timerThreadParkFailures = new AtomicInteger();
        /** The next {@code nanoTime} call on this thread throws. */
        final AtomicReference<Thread> failOnThread = new AtomicReference<>();

        @Override
        public long nanoTime() {
            Thread me = Thread.currentThread();
            if (failOnThread.compareAndSet(me, null)) {
                throw new IllegalStateException("clock broken (fiber)");
            }
            if (me.getName().endsWith("timer") && timerThreadFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("clock broken (timer thread)");
            }
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public void parkUntil(Object blocker, long deadlineNanos) {
            if (Thread.currentThread().getName().endsWith("timer")
                    && timerThreadParkFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("park broken (timer thread)");
            }
            Clock.system().parkUntil(blocker, deadlineNanos);
        }
    }

    @Test
    void aClockThatThrowsOnTheTimerThreadIsReportedAndLaterTimeoutsStillFire() {
        FaultyClock clock = new FaultyClock();
        ReportedErrors reported = new ReportedErrors();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock)
                .withErrorHandler(reported))) {
            clock.timerThreadFailures.set(3);
            assertThat(rt.run(Concurrency.timeoutWith(20, "t", Effect.<String, Integer>never())))
                    .isEqualTo(Exit.failure("t"));
            clock.timerThreadParkFailures.set(2);
            assertThat(rt.run(Concurrency.timeoutWith(20, "t2", Effect.<String, Integer>never())))
                    .isEqualTo(Exit.failure("t2"));
            assertThat(rt.run(Concurrency.timeoutWith(10_000, "t3", Effect.<String, Integer>succeed(3))))
                    .isEqualTo(Exit.success(3));
            awaitReports(reported, 5);
            assertThat(reported.errors()).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("broken (timer thread)"));
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void aClockThatThrowsWhileTimeoutWithArmsItsTimerLeavesNoRegionBehind() {
        FaultyClock clock = new FaultyClock();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock)
                .withErrorHandler(new ReportedErrors()))) {
            Effect<String, String> program = Effect.<String, Unit>sync(() -> {
                clock.failOnThread.set(Thread.currentThread()); // the next reading, by timeoutWith, throws
                return Unit.UNIT;
            }).then(Concurrency.timeoutWith(100, "t", Effect.<String, Integer>succeed(1)).<String>exit())
                    .flatMap(first -> {
                        assertThat(first).isInstanceOf(Exit.Defect.class);
                        // A later, unrelated timeout that fires must not cancel the rest of the fiber.
                        return Concurrency.timeoutWith(10, "t2", Effect.<String, Integer>never()).<String>exit();
                    })
                    .flatMap(second -> {
                        assertThat(second).isEqualTo(Exit.failure("t2"));
                        return Concurrency.<String>sleep(1).then(Effect.succeed("still running"));
                    });
            assertThat(rt.run(program)).isEqualTo(Exit.success("still running"));
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    private static void awaitReports(ReportedErrors reported, int n) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (reported.errors().size() < n && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // reports arrive on their own threads
            Thread.yield();
        }
        assertThat(reported.errors()).hasSize(n);
    }
}
