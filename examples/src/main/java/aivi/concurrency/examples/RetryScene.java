package aivi.concurrency.examples;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Schedule;
import aivi.concurrency.Unit;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scene 4, {@code retry} with a {@link Schedule}: a flaky endpoint that often answers 503 is retried with
 * exponential backoff and full jitter, at most six attempts, and only for transient errors. Every attempt and
 * every wait is on the timeline.
 */
final class RetryScene {
    static final int MAX_ATTEMPTS = 6;

    private RetryScene() {
    }

    static Effect<ApiError, Unit> run(SceneContext ctx) {
        Timeline t = new Timeline(ctx.terminal());
        AtomicInteger attempts = new AtomicInteger();
        Duration initial = Duration.ofMillis(ctx.ms(100));
        Duration cap = Duration.ofMillis(ctx.ms(1_000));

        Effect<ApiError, HttpApi.Response> attempt = Effect.suspend(() -> {
            int n = attempts.incrementAndGet();
            return t.log("attempt " + n + ": GET /api/flaky")
                    .then(ctx.api().get("/api/flaky"))
                    .flatMap(r -> t.log("attempt " + n + ": 200 in " + r.elapsedMs() + " ms").as(r));
        });
        Schedule<ApiError> backoff = Schedule.exponential(initial)
                .maxDelay(cap)
                .withJitter(new Random(ctx.options().seed()))
                .maxAttempts(MAX_ATTEMPTS)
                .onRetry(event -> t.log("attempt " + event.attempt() + " failed with " + event.error()
                        + "; retrying in " + event.delay().toMillis() + " ms (backoff "
                        + backoffMs(initial, cap, event.attempt()) + " ms, full jitter)"))
                .retryIf(ApiError::isTransient); // last in the chain: Java infers Schedule<ApiError> here

        return t.log("retry(" + backoff + ", GET /api/flaky)")
                .then(Concurrency.retry(backoff, attempt))
                .foldEffect(
                        error -> t.log("gave up after " + attempts.get() + " attempts: " + error
                                + " (handled: the page shows 'try again later')"),
                        ok -> t.log("succeeded on attempt " + attempts.get() + " after " + t.now() + " ms"));
    }

    /** The delay before jitter: {@code initial * 2^(attempt-1)}, capped. */
    private static long backoffMs(Duration initial, Duration cap, int attempt) {
        long ms = initial.toMillis() << Math.min(attempt - 1, 30);
        return Math.min(ms, cap.toMillis());
    }
}
