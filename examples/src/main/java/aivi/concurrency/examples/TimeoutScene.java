package aivi.concurrency.examples;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Unit;

/**
 * Scene 3, {@code timeoutWith}: a fast endpoint answers within its limit; the slow report endpoint does not,
 * its request is cancelled, and the typed {@link ApiError.Timeout} is handled with a fallback. Both calls
 * share the handler, so on a very slow machine a late users call is handled the same way.
 */
final class TimeoutScene {
    private TimeoutScene() {
    }

    static Effect<ApiError, Unit> run(SceneContext ctx) {
        Timeline t = new Timeline(ctx.terminal());
        long limit = ctx.ms(800);
        Effect<ApiError, String> users = Concurrency.timeoutWith(limit, new ApiError.Timeout("/api/users", limit),
                ctx.api().get("/api/users").map(r -> "200 in " + r.elapsedMs() + " ms"));
        Effect<ApiError, String> report = Concurrency.timeoutWith(limit, new ApiError.Timeout("/api/report", limit),
                ctx.api().get("/api/report").map(r -> "200 in " + r.elapsedMs() + " ms")
                        .onCancel(t.log("GET /api/report: cancelled by the timeout, request aborted")));
        return t.log("timeoutWith(" + limit + " ms, Timeout, GET /api/users)")
                .then(users.catchAll(TimeoutScene::fallback))
                .flatMap(r -> t.log("users: " + r))
                .then(t.log("timeoutWith(" + limit + " ms, Timeout, GET /api/report), a slow endpoint"))
                .then(report.catchAll(TimeoutScene::fallback))
                .flatMap(r -> t.log("report: " + r));
    }

    /** The typed error tells exactly what went wrong; the compiler checks every case is handled. */
    private static Effect<ApiError, String> fallback(ApiError error) {
        return switch (error) {
            case ApiError.Timeout timeout -> Effect.succeed("typed error " + timeout
                    + " handled: serving yesterday's cached copy");
            case ApiError.HttpStatus status -> Effect.succeed("typed error " + status
                    + " handled: showing an empty page");
            case ApiError.Unreachable unreachable -> Effect.fail(unreachable);
        };
    }
}
