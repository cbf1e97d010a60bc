package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** An error handler that blocks or throws must not stall or break the runtime. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ErrorHandlerFaultTest {

    @Test
    void aBlockingHandlerDoesNotStallOtherDetachedSpawns() throws Exception {
        CountDownLatch handlerEntered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RuntimeConfig.ErrorHandler blocking = (context, error) -> {
            handlerEntered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(blocking))) {
            rt.run(Concurrency.spawnDetached(Effect.<String, Unit>fail("unobserved")));
            handlerEntered.await();
            // It ran under the detached scope's lock, so this spawn (which takes that lock) hung.
            Task<String, Integer> other = rt.runOrThrow(Concurrency.spawnDetached(Effect.<String, Integer>succeed(1)));
            assertThat(rt.run(other.join())).isEqualTo(Exit.success(1));
            release.countDown();
        }
    }

    @Test
    void aThrowingHandlerIsContainedAndTheRuntimeKeepsWorking() {
        RuntimeConfig.ErrorHandler throwing = (context, error) -> {
            throw new IllegalStateException("handler broken");
        };
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(throwing))) {
            for (int i = 0; i < 3; i++) {
                rt.runOrThrow(Concurrency.spawnDetached(Effect.<String, Unit>fail("x"))); // nobody joins: reported
            }
            assertThat(rt.run(Concurrency.timeoutWith(10, "t", Effect.<String, Integer>never())))
                    .isEqualTo(Exit.failure("t"));
        }
    }
}
