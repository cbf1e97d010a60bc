package aivi.concurrency.examples;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Pair;
import aivi.concurrency.Unit;

/**
 * Scene 1, {@code par}: fetch the user profile and the order history at once. The scene takes about as long
 * as the slower call, not the sum of both.
 */
final class ParScene {
    private ParScene() {
    }

    static Effect<ApiError, Unit> run(SceneContext ctx) {
        Timeline t = new Timeline(ctx.terminal());
        Effect<ApiError, HttpApi.Response> users = timed(t, ctx.api().get("/api/users"));
        Effect<ApiError, HttpApi.Response> orders = timed(t, ctx.api().get("/api/orders"));
        return t.log("par(GET /api/users, GET /api/orders): both requests start now")
                .then(Concurrency.par(users, orders))
                .flatMap(both -> report(t, both));
    }

    private static Effect<ApiError, HttpApi.Response> timed(Timeline t, Effect<ApiError, HttpApi.Response> call) {
        return call.flatMap(r -> t.log("GET " + r.path() + " -> " + r.status() + " in " + r.elapsedMs()
                + " ms").as(r));
    }

    private static Effect<ApiError, Unit> report(Timeline t, Pair<HttpApi.Response, HttpApi.Response> both) {
        long took = t.now();
        long a = both.first().elapsedMs();
        long b = both.second().elapsedMs();
        long max = Math.max(a, b);
        long sum = a + b;
        return t.log("par done in " + took + " ms: max of the latencies " + max + " ms, sum " + sum + " ms -> "
                + (took < sum ? "it took the max, not the sum" : "no overlap this time (a very busy machine?)"));
    }
}
