package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** SPEC §2: run() is a root scope; spawnDetached tasks belong to the runtime. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DetachedTest {

    private static Effect<String, Unit> countDown(CountDownLatch latch) {
        return Effect.sync(() -> {
            latch.countDown();
            return Unit.UNIT;
        });
    }

    @Test
    void spawnDetachedOutlivesItsSpawnerAndRuntimeCloseCancelsIt() throws InterruptedException {
        EventLog log = new EventLog();
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Task<String, Unit>> detached = new AtomicReference<>();
        EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(new ReportedErrors()));
        try {
            Exit<String, String> exit = rt.run(Concurrency.spawnDetached(countDown(started)
                    .then(Effect.<String, Unit>never()).ensuring(log.add("detached finalized")))
                    .map(t -> {
                        detached.set(t);
                        return "spawner done";
                    }));
            assertThat(exit).isEqualTo(Exit.success("spawner done"));
            TestFibers.await(started, "the detached task to start");
            assertThat(detached.get().poll()).isEmpty(); // still running after run() returned
            assertThat(rt.liveFibers()).isEqualTo(1);
            assertThat(log.events()).isEmpty();
        } finally {
            rt.close();
        }
        assertThat(log.events()).containsExactly("detached finalized"); // close cancelled and awaited it
        assertThat(detached.get().poll()).contains(Exit.cancelled());
        NoLeakedFibers.assertNoLiveFibers(rt);
    }

    @Test
    void anUnobservedDetachedFailureReachesTheErrorHandler() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, Unit> exit = v.run(Concurrency.spawnDetached(Effect.<String, Unit>fail("nobody joined me"))
                    .then(Concurrency.<String>sleep(10)));
            assertThat(exit).isEqualTo(Exit.success(Unit.UNIT)); // the spawner is not failed by it
            assertThat(v.reported.typedErrors()).containsExactly("nobody joined me");
        }
    }

    @Test
    void anUnobservedDetachedDefectReachesTheErrorHandlerAsTheVeryException() {
        IllegalStateException bug = new IllegalStateException("bug");
        try (VirtualRuntime v = new VirtualRuntime()) {
            v.run(Concurrency.spawnDetached(Effect.<String, Unit>sync(() -> {
                throw bug;
            })).then(Concurrency.<String>sleep(10)));
            assertThat(v.reported.errors()).containsExactly(bug);
        }
    }

    @Test
    void aJoinedDetachedFailureIsObservedNotReported() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, Unit> exit = v.run(Concurrency.spawnDetached(
                    Concurrency.<String>sleep(10).then(Effect.<String, Unit>fail("seen"))).flatMap(Task::join));
            assertThat(exit).isEqualTo(Exit.failure("seen"));
            assertThat(v.reported.errors()).isEmpty();
        }
    }

    @Test
    void aClosedRuntimeRefusesToRun() {
        EffectRuntime rt = EffectRuntime.create();
        rt.close();
        rt.close(); // idempotent
        assertThatThrownBy(() -> rt.run(Effect.succeed(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void runReturnsOnlyAfterEveryFiberItStartedHasTerminated() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Effect<String, Unit> deep = Concurrency.spawn(Concurrency.spawn(Effect.<String, Unit>never()
                    .ensuring(log.add("grandchild finalized"))).then(Effect.<String, Unit>never())
                    .ensuring(log.add("child finalized"))).then(Concurrency.<String>sleep(10));
            assertThat(v.run(deep)).isEqualTo(Exit.success(Unit.UNIT));
            // a fiber's own finalizers run when its effect ends; then its implicit scope cancels its children
            assertThat(log.events()).containsExactly("child finalized", "grandchild finalized");
            assertThat(v.rt.liveFibers()).isZero();
        }
    }
}
