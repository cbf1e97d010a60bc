package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A join that gives up (cancelled, timed out) leaves no node behind on the task it waited for. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AbandonedJoinWaiterTest {

    private static final int JOINS = 2_000;

    @Test
    void cancelledJoinersOfALongLivedTaskLeaveNoWaiterBehind() {
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(new ReportedErrors()))) {
            Task<String, Unit> server = rt.runOrThrow(Concurrency.spawnDetached(Effect.<String, Unit>never()));
            Fiber fiber = ((FiberTask<String, Unit>) server).fiber;
            for (int i = 0; i < JOINS; i++) {
                Task<String, Unit> joiner = rt.runOrThrow(Concurrency.spawnDetached(server.join()));
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (fiber.waiterNodes() == 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // until the joiner's node is on the stack
                }
                rt.runOrThrow(joiner.cancel());
            }
            // It kept one node per abandoned join (24 B each) for as long as the task lived.
            assertThat(fiber.waiterNodes()).isZero();
            rt.runOrThrow(server.cancel());
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void timedOutJoinsInAHealthCheckLoopLeaveNoWaiterBehind() {
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(new ReportedErrors()))) {
            Task<String, Unit> server = rt.runOrThrow(Concurrency.spawnDetached(Effect.<String, Unit>never()));
            Fiber fiber = ((FiberTask<String, Unit>) server).fiber;
            Effect<String, Unit> check = Concurrency.timeoutWith(1, "t", server.join()).<String>exit().as(Unit.UNIT);
            for (int i = 0; i < 200; i++) {
                rt.runOrThrow(check);
            }
            assertThat(fiber.waiterNodes()).isZero();
            rt.runOrThrow(server.cancel());
        }
    }
}
