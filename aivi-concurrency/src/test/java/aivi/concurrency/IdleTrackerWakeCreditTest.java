package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The wake credits of a {@link TestRuntime}'s idle detector (see IdleTracker, race (e) and "Wake credits"): a
 * fiber whose wait a wake-up has ended counts busy from before the wake-up, so virtual time cannot move while
 * it is still on its way back to running, even if its thread reads WAITING meanwhile (as the JDK leaves a
 * virtual thread unparked while it was still yielding to park, for as long as the OS deschedules its carrier).
 *
 * <p>Each test holds the woken fiber, parked, at the start of its exitWait (the hook {@code beforeRuns}):
 * the state the JDK's window leaves it in. Once the waker has ended (its thread joined), the busy count must
 * still be 1: before the credits it was 0, and the clock moved on to the next deadline.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IdleTrackerWakeCreditTest {

    private static final Effects<String> fx = Effects.of(String.class);

    private static Fiber fiberOf(Task<?, ?> t) {
        return ((FiberTask<?, ?>) t).fiber;
    }

    private static Effect<String, Long> nowMillis(TestRuntime rt) {
        return Effect.sync(() -> rt.clock().nanoTime() / 1_000_000L);
    }

    /** Holds, once, the first fiber leaving a wait that {@code which} accepts, until {@link #release}. */
    private static final class Hold {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<Fiber> held = new AtomicReference<>();

        Hold(TestRuntime rt, Predicate<Fiber> which) {
            rt.runtime().idle.beforeRuns = f -> {
                if (which.test(f) && held.compareAndSet(null, f)) {
                    entered.countDown();
                    boolean interrupted = false;
                    for (;;) {
                        try {
                            release.await();
                            break;
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
        }

        void awaitEntered() throws InterruptedException {
            assertThat(entered.await(10, TimeUnit.SECONDS)).as("the woken fiber reached its exitWait").isTrue();
        }
    }

    private static void awaitEnded(AtomicReference<Fiber> waker) throws InterruptedException {
        assertThat(waker.get().thread.join(Duration.ofSeconds(10))).as("the waker's thread ended").isTrue();
    }

    @Test
    void aJoinerWokenByTheTerminationCountsBusyUntilItRuns() throws Exception {
        try (TestRuntime rt = TestRuntime.create()) {
            Hold hold = new Hold(rt, f -> f.waitKind() == FiberDump.Activity.JOIN);
            AtomicReference<Fiber> target = new AtomicReference<>();
            Effect<String, Long> program = Concurrency.scope(s -> s.spawn(fx.sleep(1_000)).then(
                    s.spawn(fx.sleep(10)).flatMap(t -> {
                        target.set(fiberOf(t));
                        return t.join();
                    }).then(nowMillis(rt))));
            CompletableFuture<Long> run = rt.runtime().runAsync(program);
            hold.awaitEntered();
            awaitEnded(target); // it unparked the joiner, then ended: it is no longer busy
            assertThat(rt.runtime().idle.busy()).as("the woken joiner, held before it counts busy again").isEqualTo(1);
            hold.release.countDown();
            assertThat(run.get(10, TimeUnit.SECONDS)).as("the virtual time the join returned at").isEqualTo(10L);
        }
    }

    @Test
    void aSleeperWokenByACancelCountsBusyUntilItRuns() throws Exception {
        try (TestRuntime rt = TestRuntime.create()) {
            AtomicReference<Fiber> sleeper = new AtomicReference<>();
            AtomicReference<Fiber> canceller = new AtomicReference<>();
            Hold hold = new Hold(rt, f -> f == sleeper.get() && f.waitKind() == FiberDump.Activity.SLEEP);
            Effect<String, Long> program = Concurrency.scope(s -> s.spawn(fx.sleep(1_000)).then(
                    s.spawn(fx.sleep(500)).flatMap(victim -> {
                        sleeper.set(fiberOf(victim));
                        return s.spawn(fx.sleep(10).then(Effect.sync(() -> {
                            fiberOf(victim).cancel();
                            return Unit.UNIT;
                        }))).flatMap(c -> {
                            canceller.set(fiberOf(c));
                            return victim.await();
                        });
                    }).then(nowMillis(rt))));
            CompletableFuture<Long> run = rt.runtime().runAsync(program);
            hold.awaitEntered();
            awaitEnded(canceller); // it interrupted the sleeper, then ended
            assertThat(rt.runtime().idle.busy()).as("the cancelled sleeper, held before it counts busy again").isEqualTo(1);
            hold.release.countDown();
            assertThat(run.get(10, TimeUnit.SECONDS)).as("the virtual time the cancelled sleeper was awaited at")
                    .isEqualTo(10L);
        }
    }

    @Test
    void aScopeOwnerWokenByItsLastChildCountsBusyUntilItRuns() throws Exception {
        try (TestRuntime rt = TestRuntime.create()) {
            AtomicReference<Fiber> child = new AtomicReference<>();
            Hold hold = new Hold(rt, f -> f.waitKind() == FiberDump.Activity.SCOPE && child.get() != null);
            // The inner body ends at 1, the child asleep; the close cancels it and waits for it, and the child's
            // finalizer sleeps until 21, so it ends only once the owner is parked in the close. The outer
            // sleeper is the next deadline.
            Effect<String, Long> program = Concurrency.scope(outer -> outer.spawn(fx.sleep(1_000)).then(
                    Concurrency.<String, Unit>scope(inner -> inner.spawn(fx.sleep(500).ensuring(fx.sleep(20)))
                            .flatMap(t -> {
                                child.set(fiberOf(t));
                                return fx.sleep(1);
                            })).then(nowMillis(rt))));
            CompletableFuture<Long> run = rt.runtime().runAsync(program);
            hold.awaitEntered();
            awaitEnded(child); // it signalled the owner's close, then ended
            assertThat(rt.runtime().idle.busy()).as("the scope's owner, held before it counts busy again").isEqualTo(1);
            hold.release.countDown();
            assertThat(run.get(10, TimeUnit.SECONDS)).as("the virtual time the inner scope closed at").isEqualTo(21L);
        }
    }

    /**
     * A credit given to a fiber in a wait that the wake-up does not end (an uninterruptible join, cancelled
     * once more) is given back before it parks again: time still moves, to the joined fiber's finalizer's end.
     */
    @Test
    void aCreditThatEndsNoWaitDoesNotStopTime() {
        try (TestRuntime rt = TestRuntime.create()) {
            // at 10 the inner timeout cancels the par, whose branch then sleeps 100 in its finalizer; at 50 the
            // outer timeout cancels the fiber waiting for that branch again
            Effect<String, Integer> program = Concurrency.timeoutWith(50, "outer", Concurrency.timeoutWith(10,
                    "inner", Concurrency.par(fx.sleep(1_000).as(1),
                            fx.sleep(1_000).as(2).ensuring(fx.sleep(100))).map(p -> p.first() + p.second())));
            Exit<String, Integer> exit = rt.run(program);
            assertThat(exit).isEqualTo(Exit.failure("inner"));
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofMillis(110).toNanos());
        }
    }
}
