package aivi.concurrency.examples;

import aivi.concurrency.ChannelError;
import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.Pair;
import aivi.concurrency.Receiver;
import aivi.concurrency.Result;
import aivi.concurrency.Sender;
import aivi.concurrency.Task;
import aivi.concurrency.Unit;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scene 5, a background worker pool: N workers in a {@code scope} take jobs from a {@code makeBounded}
 * channel and call the jobs endpoint. The producer is much faster than the workers, so the buffer fills and
 * {@code send} waits: backpressure. Then the producer {@code close}s the channel, the workers drain what is
 * buffered, each sees {@code Err(CLOSED)} and stops, and the scope returns with every fiber ended.
 *
 * <p>A failed job is a typed error that the worker handles ({@code exit()} turns the outcome into a value):
 * it is counted, and the pool goes on.
 */
final class WorkerPoolScene {
    private WorkerPoolScene() {
    }

    static Effect<ApiError, Unit> run(SceneContext ctx) {
        int capacity = Math.max(2, ctx.options().workers());
        return run(ctx, Concurrency.makeBounded(capacity), capacity, true, false,
                "makeBounded(" + capacity + ")");
    }

    /**
     * The scene on a given channel: an in-memory one, or a distributed one shared with other demo processes
     * ({@link DistributedDemo}). With {@code produce} false this process only works: its workers take jobs
     * that another process sends, until that process closes the channel. With {@code shared} the summary
     * counts this process's share of the jobs.
     */
    static Effect<ApiError, Unit> run(SceneContext ctx, Effect<ApiError, Pair<Sender<Integer>, Receiver<Integer>>> channel,
                                      int capacity, boolean produce, boolean shared, String made) {
        Timeline t = new Timeline(ctx.terminal());
        int workers = ctx.options().workers();
        int jobs = ctx.options().jobs();
        PoolStats stats = new PoolStats(jobs, workers);

        return t.log(made + ": " + workers + " workers in a scope, " + (produce ? jobs + " jobs to do"
                        : "taking the jobs another process sends"))
                .then(channel)
                .flatMap(ch -> Concurrency.scope(s -> Effect.gen(d -> {
                    List<Task<ApiError, Unit>> crew = new ArrayList<>();
                    for (int w = 1; w <= workers; w++) {
                        crew.add(d.await(s.spawn(worker(ctx, t, stats, w, ch.second()))));
                    }
                    if (ctx.terminal().live() && produce) {
                        d.await(s.spawn(progressBar(ctx, stats, capacity))); // cancelled when the body ends
                    }
                    if (produce) {
                        d.await(producer(t, stats, capacity, ch.first()));
                    }
                    for (Task<ApiError, Unit> worker : crew) {
                        d.await(worker.join());
                    }
                    return Unit.UNIT;
                })))
                .then(shared ? workerSummary(ctx, t, stats) : summary(ctx, t, stats, capacity));
    }

    private static Effect<ApiError, Unit> workerSummary(SceneContext ctx, Timeline t, PoolStats stats) {
        return Effect.sync(() -> {
            StringJoiner perWorker = new StringJoiner(", ");
            for (int w = 1; w <= ctx.options().workers(); w++) {
                perWorker.add("w" + w + " " + stats.jobsOf(w));
            }
            t.print(String.format("summary: this process did %d jobs in %d ms with %d workers: %d ok, %d failed",
                    stats.done(), stats.elapsedMs(), ctx.options().workers(), stats.ok(), stats.failed()));
            t.print("  jobs per worker: " + perWorker);
            t.print("scope returned: every worker fiber has ended");
            return Unit.UNIT;
        });
    }

    /** Sends every job; a full buffer makes {@code send} wait, which is the backpressure. */
    private static Effect<ApiError, Unit> producer(Timeline t, PoolStats stats, int capacity, Sender<Integer> jobs) {
        Effect<ApiError, Unit> produce = Effect.gen(d -> {
            for (int job = 1; job <= stats.jobs(); job++) {
                Result<ChannelError, Boolean> offered = jobs.trySend(job);
                if (!(offered instanceof Result.Ok<ChannelError, Boolean>(Boolean delivered) && delivered)) {
                    if (stats.producerWaits() == 0) {
                        t.print("buffer full (" + capacity + "/" + capacity + "): send(job " + job
                                + ") waits for a free slot -> backpressure paces the producer to the workers");
                    }
                    long waitStart = System.nanoTime();
                    d.await(Concurrency.send(jobs, job));
                    stats.producerWaited(System.nanoTime() - waitStart);
                }
                stats.sent();
            }
            t.print("producer: all " + stats.jobs() + " jobs sent; close(jobs) with "
                    + Math.min(stats.buffered(), capacity) + " still buffered, the workers drain them");
            d.await(Concurrency.close(jobs));
            return Unit.UNIT;
        });
        return produce.onCancel(Effect.suspend(() -> t.log("producer: cancelled after sending " + stats.sentCount()
                + " jobs (onCancel ran)")));
    }

    /** Takes jobs until {@code recv} says {@code Err(CLOSED)}. */
    private static Effect<ApiError, Unit> worker(SceneContext ctx, Timeline t, PoolStats stats, int w,
                                                 Receiver<Integer> jobs) {
        AtomicInteger current = new AtomicInteger();
        Effect<ApiError, Unit> loop = Effect.gen(d -> {
            t.print("worker " + w + ": started, waiting in recv");
            while (true) {
                Result<ChannelError, Integer> next = d.await(Concurrency.recv(jobs));
                switch (next) {
                    case Result.Err<ChannelError, Integer>(ChannelError closed) -> {
                        t.print("worker " + w + ": recv -> Err(" + closed + "): channel closed and drained, "
                                + "stopping after " + stats.jobsOf(w) + " jobs");
                        return Unit.UNIT;
                    }
                    case Result.Ok<ChannelError, Integer>(Integer job) -> {
                        stats.taken();
                        current.set(job);
                        long start = System.nanoTime();
                        Exit<ApiError, HttpApi.Response> outcome = d.await(ctx.api().get("/jobs/" + job).exit());
                        ApiError error = outcome instanceof Exit.Failure<ApiError, HttpApi.Response>(ApiError e)
                                ? e : null;
                        if (!(outcome instanceof Exit.Success) && error == null) {
                            d.await(Effect.fromExit(outcome)); // a defect: not ours to handle, rethrow it
                        }
                        if (error != null) {
                            t.print("worker " + w + ": job " + job + " failed with " + error
                                    + " (counted; the pool goes on)");
                        }
                        current.set(0);
                        int quarter = stats.finished(w, System.nanoTime() - start, error);
                        if (quarter > 0 && !ctx.terminal().live()) {
                            t.print("progress " + stats.bar() + ", ok " + stats.ok() + ", failed "
                                    + stats.failed());
                        }
                    }
                }
            }
        });
        return loop.onCancel(Effect.suspend(() -> t.log("worker " + w + ": cancelled "
                + (current.get() == 0 ? "while waiting in recv" : "during job " + current.get()
                + ", its HTTP request aborted") + " (onCancel ran)")));
    }

    /** The live progress bar, redrawn ten times a second (only on a terminal). */
    private static Effect<ApiError, Unit> progressBar(SceneContext ctx, PoolStats stats, int capacity) {
        return Effect.gen(d -> {
            while (true) {
                long ms = Math.max(1, stats.elapsedMs());
                ctx.terminal().status(String.format("  progress %s  ok %d  failed %d  buffer %d/%d  %.1f jobs/s",
                        stats.bar(), stats.ok(), stats.failed(), Math.min(stats.buffered(), capacity), capacity,
                        stats.done() * 1000.0 / ms));
                d.await(Concurrency.sleep(100));
            }
        });
    }

    private static Effect<ApiError, Unit> summary(SceneContext ctx, Timeline t, PoolStats stats, int capacity) {
        return Effect.sync(() -> {
            ctx.terminal().clearStatus();
            if (ctx.terminal().live()) {
                t.print("progress " + stats.bar() + ", ok " + stats.ok() + ", failed " + stats.failed());
            }
            long ms = Math.max(1, stats.elapsedMs());
            StringJoiner perWorker = new StringJoiner(", ");
            for (int w = 1; w <= ctx.options().workers(); w++) {
                perWorker.add("w" + w + " " + stats.jobsOf(w));
            }
            t.print(String.format("summary: %d jobs in %d ms with %d workers (%.1f jobs/s): %d ok, %d failed %s",
                    stats.jobs(), ms, ctx.options().workers(), stats.jobs() * 1000.0 / ms, stats.ok(),
                    stats.failed(), stats.errors()));
            t.print("  jobs per worker: " + perWorker);
            t.print("  backpressure: the producer waited " + stats.producerWaits() + " times, "
                    + stats.producerWaitMs() + " ms in all, for a slot in the buffer of " + capacity);
            t.print("  one at a time the jobs would have taken about " + stats.busyMs() + " ms");
            t.print("scope returned: every worker fiber has ended");
            return Unit.UNIT;
        });
    }
}
