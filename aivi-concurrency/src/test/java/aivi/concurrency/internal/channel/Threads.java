package aivi.concurrency.internal.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts virtual threads for a test and, at the end, checks that every one of them terminated and
 * none failed unexpectedly.
 */
final class Threads implements AutoCloseable {

    /** A body that may throw anything; what it throws is recorded. */
    interface Body {
        void run() throws Exception;
    }

    private final List<Thread> started = new ArrayList<>();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    Thread start(String name, Body body) {
        Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        track(t);
        t.start();
        return t;
    }

    /** Runs {@code body} on a thread and returns a handle to its outcome. */
    <T> Outcome<T> call(String name, java.util.concurrent.Callable<T> body) {
        Outcome<T> o = new Outcome<>();
        o.thread = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                o.value.set(body.call());
            } catch (Throwable e) {
                o.error.set(e);
            }
        });
        track(o.thread);
        o.thread.start();
        return o;
    }

    private void track(Thread t) {
        // Only the test thread starts threads; no locking needed.
        started.add(t);
    }

    static void join(Thread t) throws InterruptedException {
        if (!t.join(Waiting.GENEROUS)) {
            throw new AssertionError(t + " still running after " + Waiting.GENEROUS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Thread t : started) {
            join(t);
        }
        assertThat(started).allSatisfy(t -> assertThat(t.isAlive()).isFalse());
        assertThat(failures).as("unexpected failures in test threads").isEmpty();
    }

    /** The outcome of {@link #call}. */
    static final class Outcome<T> {
        Thread thread;
        final AtomicReference<T> value = new AtomicReference<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();

        T get() throws InterruptedException {
            join(thread);
            if (error.get() != null) {
                throw new AssertionError("thread failed", error.get());
            }
            return value.get();
        }

        Throwable failure() throws InterruptedException {
            join(thread);
            return error.get();
        }
    }
}
