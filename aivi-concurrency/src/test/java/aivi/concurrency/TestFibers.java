package aivi.concurrency;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Small helpers for tests that order events between fibers with latches and task state, never with sleeps.
 * Waits are bounded by {@link #GENEROUS}: on a healthy machine they end within microseconds.
 */
final class TestFibers {

    /** The bound of every wait in a test; exceeding it means a bug (a deadlock or a lost wake-up). */
    static final Duration GENEROUS = Duration.ofSeconds(10);

    private TestFibers() {
    }

    /** Blocks the current thread (a fiber, or a test thread) until {@code latch} opens; fails after the bound. */
    static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("timed out after " + GENEROUS + " waiting for: " + what);
        }
    }

    /**
     * Waits, inside an {@code Effect.gen} block, until a cancel request has reached {@code task} (its
     * {@link Task#isCancelled()} is true). Used to know that a canceller running on another fiber has
     * marked the task before the test lets the task go on. Yields between polls; fails after the bound.
     */
    static <E> void awaitCancelRequested(Direct<E> d, Task<?, ?> task) {
        long deadline = System.nanoTime() + GENEROUS.toNanos();
        while (!d.await(task.<E>isCancelled())) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + GENEROUS + " waiting for a cancel to reach " + task);
            }
            Thread.yield();
        }
    }

    /**
     * Waits until the fiber of {@code task} is parked (in a sleep, a latch, a join...). Reads the fiber's
     * thread, an implementation detail this package-private test may see; yields between polls.
     */
    static void awaitParked(Task<?, ?> task) {
        long deadline = System.nanoTime() + GENEROUS.toNanos();
        for (;;) {
            Thread t = ((FiberTask<?, ?>) task).fiber.thread;
            Thread.State s = t == null ? Thread.State.NEW : t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + GENEROUS + " waiting for " + task + " to park");
            }
            Thread.yield();
        }
    }
}
