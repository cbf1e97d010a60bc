package aivi.concurrency.examples;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Pair;
import aivi.concurrency.Receiver;
import aivi.concurrency.Sender;
import aivi.concurrency.Task;
import aivi.concurrency.Unit;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scene 6, cancellation: a scope runs three downloads (the third one split into two parts with {@code par}),
 * each holding a connection acquired with {@code acquireRelease}. Once every part has fetched its first chunk,
 * the task running the scope is cancelled mid-flight, after printing the runtime's fiber dump (the scope tree
 * of named fibers and what each waits on). Every finalizer reports as it runs (inner ones before outer ones),
 * and {@code cancel} returns only after all of them have run.
 */
final class CancelScene {
    /** Download parts that report their first chunk: downloads 1 and 2, and the two halves of download 3. */
    private static final int PARTS = 4;

    private CancelScene() {
    }

    static Effect<ApiError, Unit> run(SceneContext ctx) {
        Timeline t = new Timeline(ctx.terminal());
        AtomicInteger finalizers = new AtomicInteger();
        Effect<ApiError, Pair<Sender<String>, Receiver<String>>> firstChunks = Concurrency.make();
        return firstChunks.flatMap(ch -> Effect.gen(d -> {
            Task<ApiError, Unit> downloads = d.await(Concurrency.spawn(
                    downloads(ctx, t, finalizers, ch.first()).named("downloads")));
            for (int i = 0; i < PARTS; i++) {
                d.await(Concurrency.recv(ch.second())); // wait until every part is mid-flight
            }
            t.print("every download is mid-flight; the runtime's fiber dump (EffectRuntime.dump()):");
            for (String line : ctx.runtime().dump().toString().lines().toList()) {
                t.print("  | " + line);
            }
            t.print("cancelling the task that runs the scope");
            d.await(downloads.cancel());
            boolean cancelled = d.await(downloads.isCancelled());
            t.print("cancel returned after " + finalizers.get() + " finalizers ran; isCancelled() = " + cancelled);
            return Unit.UNIT;
        }));
    }

    private static Effect<ApiError, Unit> downloads(SceneContext ctx, Timeline t, AtomicInteger finalizers,
                                                    Sender<String> firstChunks) {
        return Concurrency.scope(s -> s.spawn(download(ctx, t, finalizers, firstChunks, "1"))
                .then(s.spawn(download(ctx, t, finalizers, firstChunks, "2")))
                .then(s.spawn(splitDownload(ctx, t, finalizers, firstChunks)))
                .then(t.log("scope: 3 downloads spawned, the body waits for them"))
                .then(s.joinAll())
                .ensuring(finalizer(t, finalizers, "scope body: ensuring ran")));
    }

    /** A download holding a connection: the release runs whatever happens, exactly once. */
    private static Effect<ApiError, Unit> download(SceneContext ctx, Timeline t, AtomicInteger finalizers,
                                                   Sender<String> firstChunks, String id) {
        AtomicInteger chunks = new AtomicInteger();
        return Effect.acquireRelease(
                t.log("download " + id + ": connection opened").as(id),
                conn -> Effect.suspend(() -> finalizer(t, finalizers, "download " + id
                        + ": release closed the connection after " + chunks.get() + " chunks")),
                conn -> chunks(ctx, id, chunks, firstChunks)).named("download-" + id);
    }

    /** Download 3: one connection, two halves fetched in parallel, each with its own temporary file. */
    private static Effect<ApiError, Unit> splitDownload(SceneContext ctx, Timeline t, AtomicInteger finalizers,
                                                        Sender<String> firstChunks) {
        AtomicInteger a = new AtomicInteger();
        AtomicInteger b = new AtomicInteger();
        return Effect.acquireRelease(
                t.log("download 3: connection opened, fetching two halves with par").as("3"),
                conn -> finalizer(t, finalizers, "download 3: release closed the connection (after both halves)"),
                conn -> Concurrency.par(
                                chunks(ctx, "3a", a, firstChunks)
                                        .ensuring(finalizer(t, finalizers, "download 3a: temp file deleted")),
                                chunks(ctx, "3b", b, firstChunks)
                                        .ensuring(finalizer(t, finalizers, "download 3b: temp file deleted"))
                                        .named("download-3b"))
                        .asUnit()).named("download-3");
    }

    /** Fetches chunks until cancelled; reports the first one on {@code firstChunks}. */
    private static Effect<ApiError, Unit> chunks(SceneContext ctx, String id, AtomicInteger count,
                                                 Sender<String> firstChunks) {
        return Effect.gen(d -> {
            while (true) {
                d.await(ctx.api().get("/chunks/" + id + "/" + count.get()));
                if (count.incrementAndGet() == 1) {
                    d.await(Concurrency.send(firstChunks, id));
                }
            }
        });
    }

    private static Effect<ApiError, Unit> finalizer(Timeline t, AtomicInteger finalizers, String what) {
        return Effect.sync(() -> {
            finalizers.incrementAndGet();
            t.print("finalizer: " + what);
            return Unit.UNIT;
        });
    }
}
