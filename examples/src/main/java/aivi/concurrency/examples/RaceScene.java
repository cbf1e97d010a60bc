package aivi.concurrency.examples;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Unit;

/**
 * Scene 2, {@code race}: download from two mirrors and keep the first answer. The slower mirror's request is
 * cancelled, and its {@code onCancel} and {@code ensuring} finalizers have run before {@code race} returns.
 */
final class RaceScene {
    private RaceScene() {
    }

    static Effect<ApiError, Unit> run(SceneContext ctx) {
        Timeline t = new Timeline(ctx.terminal());
        return t.log("race(mirror eu, mirror us): both downloads start now")
                .then(Concurrency.race(mirror(ctx, t, "eu"), mirror(ctx, t, "us")))
                .flatMap(winner -> t.log("race returned: " + winner + " won; the loser was cancelled and its "
                        + "finalizers ran before race returned"));
    }

    private static Effect<ApiError, String> mirror(SceneContext ctx, Timeline t, String name) {
        return ctx.api().get("/mirror/" + name)
                .flatMap(r -> t.log("mirror " + name + ": 200 in " + r.elapsedMs() + " ms (winner)")
                        .as(name))
                .onCancel(t.log("mirror " + name + ": cancelled (the loser); its HTTP request is aborted"))
                .ensuring(t.log("mirror " + name + ": finalizer ran, connection released"));
    }
}
