package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    void closeReturnsOnlyOnceAnUnobservedFailureHasBeenReported() throws Exception {
        // The handler holds the report open until the closing thread has either returned (the bug: the failed
        // child had unlinked itself before reporting, so close() did not wait for it) or is waiting (fixed).
        AtomicReference<Thread> closer = new AtomicReference<>();
        AtomicBoolean reported = new AtomicBoolean();
        CountDownLatch entered = new CountDownLatch(1);
        RuntimeConfig.ErrorHandler holding = (context, error) -> {
            entered.countDown();
            Thread t;
            while ((t = closer.get()) == null
                    || (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TERMINATED)) {
                Thread.onSpinWait(); // no latch: close() cancels this fiber, and an interrupt must not cut this short
            }
            reported.set(true);
        };
        EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(holding));
        rt.run(Concurrency.spawnDetached(Effect.<String, Unit>fail("unobserved")));
        entered.await();
        AtomicBoolean reportedWhenCloseReturned = new AtomicBoolean();
        Thread t = Thread.ofPlatform().unstarted(() -> {
            rt.close();
            reportedWhenCloseReturned.set(reported.get());
        });
        closer.set(t);
        t.start();
        t.join();
        assertThat(reportedWhenCloseReturned).as("the report was complete when close() returned").isTrue();
    }
}
