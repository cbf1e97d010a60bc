package aivi.concurrency.examples;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Captures what the demo prints and lets a test wait (without sleeping) until a line containing a marker
 * has been printed.
 */
final class OutputWatcher extends OutputStream {
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final String marker;
    private final CountDownLatch seen = new CountDownLatch(1);

    /** @param marker what {@link #awaitMarker} waits for; {@code null} to only capture */
    OutputWatcher(String marker) {
        this.marker = marker;
    }

    PrintStream printStream() {
        return new PrintStream(this, true, StandardCharsets.UTF_8);
    }

    @Override
    public void write(int b) {
        lock.lock();
        try {
            all.write(b);
            if (b == '\n') {
                if (marker != null && line.toString(StandardCharsets.UTF_8).contains(marker)) {
                    seen.countDown();
                }
                line.reset();
            } else {
                line.write(b);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until a line with the marker was printed; {@code false} if the bound passed first. */
    boolean awaitMarker(long seconds) throws InterruptedException {
        return seen.await(seconds, TimeUnit.SECONDS);
    }

    String text() {
        lock.lock();
        try {
            return all.toString(StandardCharsets.UTF_8);
        } finally {
            lock.unlock();
        }
    }
}
