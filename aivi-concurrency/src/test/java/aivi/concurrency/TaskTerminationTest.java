package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code join}, {@code await} and {@code cancel} of a {@link Task} return only once the task has
 * <em>terminated</em>: its outcome is published, its owner (scope or runtime) has been told, and it no longer
 * counts as a live fiber.
 *
 * <p>Regression: they used to return as soon as the outcome was published, while the ending fiber was still
 * telling its owner (for a detached task: still calling the runtime's error handler), so a fiber that had
 * "joined" a task could still see it counted as live, and a scope could record a joined child's error after
 * the body's copy of it.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class TaskTerminationTest {

    @Test
    void awaitReturnsOnlyAfterTheTaskTerminatedNotWhenItsOutcomeIsPublished() throws Exception {
        CountDownLatch handlerEntered = new CountDownLatch(1);
        CountDownLatch handlerProceed = new CountDownLatch(1);
        // The handler runs on the ending fiber after its outcome is published and before it has terminated.
        RuntimeConfig config = RuntimeConfig.defaults().withErrorHandler((context, error) -> {
            handlerEntered.countDown();
            try {
                TestFibers.await(handlerProceed, "the test lets the handler return");
            } catch (InterruptedException e) {
                throw new AssertionError("the error handler was interrupted", e);
            }
        });
        try (EffectRuntime rt = EffectRuntime.create(config)) {
            Pair<Boolean, Exit<String, Exit<String, Integer>>> result = rt.runOrThrow(
                    Effect.<String, Pair<Boolean, Exit<String, Exit<String, Integer>>>>gen(d -> {
                        Task<String, Integer> failing = d.await(Concurrency.spawnDetached(Effect.fail("lost?")));
                        TestFibers.await(handlerEntered, "the failure reached the error handler");
                        Task<String, Exit<String, Integer>> awaiter = d.await(Concurrency.spawn(failing.await()));
                        awaitParkedOrDone(awaiter);
                        boolean returnedEarly = awaiter.poll().isPresent();
                        handlerProceed.countDown();
                        return Pair.of(returnedEarly, d.await(awaiter.await()));
                    }));

            assertThat(result.first()).as("await returned while the task was still terminating").isFalse();
            assertThat(result.second()).isEqualTo(Exit.success(Exit.failure("lost?")));
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    /** Waits until {@code task}'s fiber is parked or has finished; yields between polls. */
    private static void awaitParkedOrDone(Task<?, ?> task) {
        long deadline = System.nanoTime() + TestFibers.GENEROUS.toNanos();
        for (;;) {
            Thread t = ((FiberTask<?, ?>) task).fiber.thread;
            Thread.State s = t == null ? Thread.State.NEW : t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.TERMINATED
                    || task.poll().isPresent()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + task + " to park or finish");
            }
            Thread.yield();
        }
    }
}
