package aivi.concurrency.examples;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Captures what the demo prints and lets a test wait (without sleeping) until, for every marker, a line
 * containing it has been printed.
 */
final class OutputWatcher extends OutputStream {
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    /** The markers not seen yet. Guarded by {@link #lock}. */
    private final List<String> unseen;
    private final CountDownLatch seen;

    /** @param markers what {@link #awaitMarkers} waits for; none to only capture */
    OutputWatcher(String... markers) {
        this.unseen = new ArrayList<>(List.of(markers));
        this.seen = new CountDownLatch(markers.length);
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
                String text = line.toString(StandardCharsets.UTF_8);
                for (Iterator<String> it = unseen.iterator(); it.hasNext(); ) {
                    if (text.contains(it.next())) {
                        it.remove();
                        seen.countDown();
                    }
                }
                line.reset();
            } else {
                line.write(b);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every marker was printed; {@code false} if the bound passed first. */
    boolean awaitMarkers(long seconds) throws InterruptedException {
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
