package aivi.concurrency.bench;

import java.util.ArrayList;
import java.util.List;

/** Starts benchmark bodies on virtual threads and joins them, rethrowing the first failure. */
final class VirtualThreads {

    interface Body {
        void run() throws Exception;
    }

    private final List<Thread> threads = new ArrayList<>();
    private volatile Throwable failure;

    void start(Body body) {
        threads.add(Thread.startVirtualThread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure = e;
            }
        }));
    }

    void joinAll() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
        threads.clear();
        if (failure != null) {
            throw new IllegalStateException("a benchmark thread failed", failure);
        }
    }
}
