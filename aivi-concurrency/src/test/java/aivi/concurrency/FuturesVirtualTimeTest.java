package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** SPEC §4.5: waiting for a future is a library wait, so a TestRuntime moves time past it. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FuturesVirtualTimeTest {

    @Test
    void aTimeoutAroundAPendingFutureFiresOnVirtualTime() {
        CompletableFuture<String> owned = new CompletableFuture<>();
        CompletableFuture<String> shared = new CompletableFuture<>();
        try (TestRuntime t = TestRuntime.create()) {
            Exit<String, String> fromFuture = t.run(Concurrency.timeoutWith(60_000, "timeout",
                    Effect.<String, String>fromFuture(() -> owned, c -> "failed")));
            assertThat(fromFuture).isEqualTo(Exit.failure("timeout"));
            assertThat(owned.isCancelled()).isTrue();
            Exit<String, String> awaited = t.run(Concurrency.timeoutWith(60_000, "timeout",
                    Effect.<String, String>awaitFuture(shared, c -> "failed")));
            assertThat(awaited).isEqualTo(Exit.failure("timeout"));
            assertThat(shared.isDone()).isFalse();
            assertThat(t.clock().nanoTime()).isEqualTo(Duration.ofSeconds(120).toNanos());
        }
    }

    @Test
    void aFutureCompletedFromOutsideIsNotMistakenForADeadlock() {
        // ADR 0010: a future can be completed by real I/O, so a fiber waiting on one never makes the run a deadlock
        CompletableFuture<String> later = new CompletableFuture<>();
        later.completeAsync(() -> "late", CompletableFuture.delayedExecutor(50, java.util.concurrent.TimeUnit.MILLISECONDS));
        assertThat(TestRuntime.runVirtual(Effect.<String, String>awaitFuture(later, c -> "failed")))
                .isEqualTo(Exit.success("late"));
    }
}
