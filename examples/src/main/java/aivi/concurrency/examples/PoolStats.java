package aivi.concurrency.examples;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The counters of the worker pool in scene 5, updated by the producer and the workers at once. */
final class PoolStats {
    private final int jobs;
    private final long start = System.nanoTime();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger taken = new AtomicInteger();
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicIntegerArray perWorker;
    private final LongAdder busyNanos = new LongAdder();
    private final AtomicInteger producerWaits = new AtomicInteger();
    private final AtomicLong producerWaitNanos = new AtomicLong();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    /** The last quarter (0..4) reported as a plain progress line. */
    private final AtomicInteger reportedQuarter = new AtomicInteger();

    PoolStats(int jobs, int workers) {
        this.jobs = jobs;
        this.perWorker = new AtomicIntegerArray(workers + 1);
    }

    int jobs() {
        return jobs;
    }

    void sent() {
        sent.incrementAndGet();
    }

    int sentCount() {
        return sent.get();
    }

    void taken() {
        taken.incrementAndGet();
    }

    /** Values sent and not yet taken by a worker: what sits in the channel's buffer (or is being handed over). */
    int buffered() {
        return Math.max(0, sent.get() - taken.get());
    }

    void producerWaited(long nanos) {
        producerWaits.incrementAndGet();
        producerWaitNanos.addAndGet(nanos);
    }

    int producerWaits() {
        return producerWaits.get();
    }

    long producerWaitMs() {
        return producerWaitNanos.get() / 1_000_000;
    }

    /** Records a finished job; returns the new quarter (1..4) if this job crossed one, else 0. */
    int finished(int worker, long nanos, ApiError error) {
        busyNanos.add(nanos);
        perWorker.incrementAndGet(worker);
        if (error == null) {
            ok.incrementAndGet();
        } else {
            failed.incrementAndGet();
            errors.computeIfAbsent(kind(error), k -> new LongAdder()).increment();
        }
        int quarter = done() * 4 / jobs;
        int before = reportedQuarter.get();
        while (quarter > before) {
            if (reportedQuarter.compareAndSet(before, quarter)) {
                return quarter;
            }
            before = reportedQuarter.get();
        }
        return 0;
    }

    int done() {
        return ok.get() + failed.get();
    }

    int ok() {
        return ok.get();
    }

    int failed() {
        return failed.get();
    }

    int jobsOf(int worker) {
        return perWorker.get(worker);
    }

    long busyMs() {
        return busyNanos.sum() / 1_000_000;
    }

    long elapsedMs() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Failures by kind, e.g. {@code {HttpStatus 500=3}}. */
    Map<String, Long> errors() {
        Map<String, Long> sorted = new TreeMap<>();
        errors.forEach((k, v) -> sorted.put(k, v.sum()));
        return sorted;
    }

    private static String kind(ApiError error) {
        return switch (error) {
            case ApiError.HttpStatus s -> "HttpStatus " + s.status();
            case ApiError.Timeout t -> "Timeout";
            case ApiError.Unreachable u -> "Unreachable";
        };
    }

    /** {@code [#########...........]  23/40 (57%)}. */
    String bar() {
        int width = 30;
        int done = done();
        int filled = done * width / jobs;
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + jobs + " ("
                + (done * 100 / jobs) + "%)";
    }
}
