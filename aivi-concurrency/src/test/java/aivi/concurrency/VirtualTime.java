package aivi.concurrency;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs an effect on a {@link TestClock} and drives virtual time deterministically: it waits until nothing
 * can make progress (every virtual thread of the JVM is parked), then advances the clock to the earliest
 * deadline of a parked sleeper, and repeats until the effect has ended.
 *
 * <p>"Nothing can make progress" is read from the virtual-thread scheduler: the carrier threads are
 * {@link ForkJoinWorkerThread}s of one {@link ForkJoinPool}, which is quiescent exactly when no virtual thread
 * is runnable or running. Every wait in the library is an untimed park on a lock, a latch or the test clock,
 * so a quiescent pool with the effect not done means: every fiber waits for virtual time (or for nothing,
 * which is a deadlock the driver reports). Between two deadlines, everything runs to quiescence, so the order
 * of events is the order of virtual time: two events at different instants never race.
 *
 * <p>The driver is a platform thread (the caller) and the effect's {@code EffectRuntime.run} runs on another
 * platform thread; neither belongs to the scheduler.
 */
final class VirtualTime {
    private VirtualTime() {
    }

    /** The virtual-thread scheduler, found through one of its carrier threads. */
    private static volatile ForkJoinPool scheduler;

    /** Thrown when the effect cannot finish: quiescent, not done, and no sleeper to wake. */
    static final class StuckException extends RuntimeException {
        StuckException(String message) {
            super(message);
        }
    }

    /**
     * Runs {@code effect} on {@code rt} (whose clock must be {@code clock}) and returns its outcome; advances
     * virtual time only when nothing else can happen.
     *
     * @throws StuckException if the effect waits for something that never comes
     */
    static <E, A> Exit<E, A> run(EffectRuntime rt, TestClock clock, Effect<E, A> effect) {
        CompletableFuture<Exit<E, A>> result = new CompletableFuture<>();
        java.util.concurrent.CountDownLatch rootStarted = new java.util.concurrent.CountDownLatch(1);
        Effect<E, A> signalled = Effect.<E, Unit>sync(() -> {
            rootStarted.countDown(); // from here on, all progress is made by virtual threads
            return Unit.UNIT;
        }).then(effect);
        Thread runner = Thread.ofPlatform().daemon().name("virtual-time-runner").start(() -> {
            try {
                result.complete(rt.run(signalled));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            if (!rootStarted.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("VirtualTime: the root fiber did not start within 60 s");
            }
            for (;;) {
                awaitQuiescence();
                if (result.isDone()) {
                    break;
                }
                if (rt.liveFibers() == 0) {
                    result.get(60, TimeUnit.SECONDS); // the root has ended; its caller is waking up
                    break;
                }
                long next = clock.nextDeadline();
                if (next == Long.MAX_VALUE) {
                    runner.interrupt(); // cancels the root fiber, so nothing is left running if it can end
                    throw new StuckException("the effect is stuck at " + clock + ": every fiber waits and no "
                            + "sleeper is left to wake; live fibers: " + rt.liveFibers());
                }
                long now = clock.nanoTime();
                if (next - now > 0) {
                    clock.advance(Duration.ofNanos(next - now));
                } else {
                    Thread.onSpinWait(); // a woken sleeper has not yet removed itself: let it run
                }
            }
            return result.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("VirtualTime: interrupted", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("VirtualTime: the run did not complete", e);
        } finally {
            // after a failure the runner may never end (the effect may not be cancellable): do not hang the test
            joinQuietly(runner, result.isDone() ? null : Duration.ofSeconds(5));
        }
    }

    private static void joinQuietly(Thread t, Duration bound) {
        boolean interrupted = false;
        for (;;) {
            try {
                if (bound == null) {
                    t.join();
                } else {
                    t.join(bound);
                }
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until no virtual thread is runnable or running. Polls; never called from a virtual thread. */
    static void awaitQuiescence() {
        ForkJoinPool pool = scheduler();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int spins = 0;
        while (!pool.isQuiescent()) {
            if (++spins < 64) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000); // a poll interval, not an ordering device
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("VirtualTime: virtual threads kept running for 60 s");
            }
        }
    }

    private static ForkJoinPool scheduler() {
        ForkJoinPool p = scheduler;
        if (p != null) {
            return p;
        }
        // make sure a carrier thread exists, then find it among the platform threads
        try {
            Thread.ofVirtual().start(() -> { }).join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t instanceof ForkJoinWorkerThread w && t.getClass().getName().equals("jdk.internal.misc.CarrierThread")) {
                scheduler = w.getPool();
                return scheduler;
            }
        }
        throw new IllegalStateException("VirtualTime: cannot find the virtual-thread scheduler's carrier threads");
    }
}
