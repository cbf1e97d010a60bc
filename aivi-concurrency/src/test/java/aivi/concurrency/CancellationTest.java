package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cancellation model of ADR 0001, seen from outside: cancelling a parked fiber is prompt, {@code
 * Task.cancel} is idempotent and waits for finalizers, interrupting the caller of {@code run()} cancels the
 * root fiber, an {@link InterruptedException} nobody asked for is a defect, and the interrupt flag never
 * leaks out of a cancelled region.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class CancellationTest {

    /** Generous: a prompt cancel takes microseconds; only a fiber that waits out its sleep would exceed it. */
    private static final Duration PROMPT = Duration.ofSeconds(5);

    private static Effect<String, Unit> signal(CountDownLatch latch) {
        return Effect.sync(() -> {
            latch.countDown();
            return Unit.UNIT;
        });
    }

    /** A step that blocks in a JDK call until interrupted: only cancellation can end it. */
    private static Effect<String, Integer> blockedInJdkCall() {
        return Effect.attempt(() -> {
            new CountDownLatch(1).await();
            return 0;
        }, e -> "interrupted without a cancel: " + e);
    }

    @Test
    void aFiberParkedInASixtySecondSleepEndsCancelledPromptlyAfterCancel() {
        Pair<Exit<String, Unit>, Duration> result = Effect.<String, Pair<Exit<String, Unit>, Duration>>gen(d -> {
            Task<String, Unit> sleeper = d.await(Concurrency.spawn(Concurrency.<String>sleep(60_000)));
            TestFibers.awaitParked(sleeper);
            long start = System.nanoTime();
            d.await(sleeper.cancel());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return Pair.of(d.await(sleeper.await()), took);
        }).runOrThrow();

        assertThat(result.first()).isEqualTo(Exit.cancelled());
        assertThat(result.second()).isLessThan(PROMPT);
    }

    @Test
    void aBusyLoopOfEffectStepsIsCancelledAtItsNextStep() {
        CountDownLatch started = new CountDownLatch(1);
        AtomicLong steps = new AtomicLong();
        Exit<String, Integer> exit = Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> spinner = d.await(Concurrency.spawn(signal(started).then(spin(steps))));
            TestFibers.await(started, "the loop started");
            d.await(spinner.cancel());
            return d.await(spinner.await());
        }).runOrThrow();

        assertThat(exit).isEqualTo(Exit.cancelled());
        assertThat(steps.get()).isPositive();
    }

    /** An endless loop by flatMap recursion over plain values: no blocking call anywhere to interrupt. */
    private static Effect<String, Integer> spin(AtomicLong steps) {
        return Effect.<String, Long>succeed(steps.incrementAndGet()).flatMap(n -> spin(steps));
    }

    @Test
    void cancelIsIdempotentAndReturnsOnlyAfterTheFinalizersRan() {
        AtomicInteger finalized = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        Exit<String, Integer> exit = Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(
                    signal(started).then(Effect.<String, Integer>never()).ensuring(Effect.sync(finalized::incrementAndGet))));
            TestFibers.await(started, "the task started");
            d.await(task.cancel());
            assertThat(finalized).as("after the first cancel").hasValue(1);
            d.await(task.cancel());
            assertThat(finalized).as("after the second cancel").hasValue(1);
            return d.await(task.await());
        }).runOrThrow();

        assertThat(exit).isEqualTo(Exit.cancelled());
        assertThat(finalized).hasValue(1);
    }

    @Test
    void concurrentCancelsAllReturnAfterTheFinalizerRanOnce() {
        AtomicInteger finalized = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        Pair<Integer, Integer> seenByCancellers = Effect.<String, Pair<Integer, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(
                    signal(started).then(Effect.<String, Integer>never()).ensuring(Effect.sync(finalized::incrementAndGet))));
            TestFibers.await(started, "the task started");
            Effect<String, Integer> cancelThenLook = task.<String>cancel().then(Effect.sync(finalized::get));
            return d.await(Concurrency.par(cancelThenLook, cancelThenLook));
        }).runOrThrow();

        assertThat(seenByCancellers).isEqualTo(Pair.of(1, 1));
    }

    @Test
    void cancellingAFinishedTaskChangesNothing() {
        Pair<Integer, Boolean> after = Effect.<String, Pair<Integer, Boolean>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(Effect.<String, Integer>succeed(7)));
            d.await(task.join());
            d.await(task.cancel());
            return Pair.of(d.await(task.join()), d.await(task.isCancelled()));
        }).runOrThrow();

        assertThat(after).isEqualTo(Pair.of(7, false));
    }

    @Test
    void isCancelledIsTrueOnlyForATaskThatCancellationReached() {
        CountDownLatch started = new CountDownLatch(1);
        boolean[] seen = Effect.<String, boolean[]>gen(d -> {
            Task<String, Integer> running = d.await(Concurrency.spawn(
                    signal(started).then(Effect.<String, Integer>never())));
            Task<String, Integer> succeeded = d.await(Concurrency.spawn(Effect.<String, Integer>succeed(1)));
            // a failed child fails its scope; keep the handle to ask it afterwards
            AtomicReference<Task<String, Integer>> failed = new AtomicReference<>();
            Exit<String, Integer> scope = d.await(Concurrency.<String, Integer>scope(s ->
                    s.spawn(Effect.<String, Integer>fail("no")).flatMap(t -> {
                        failed.set(t);
                        return t.join();
                    })).exit());
            assertThat(scope).isEqualTo(Exit.failure("no"));
            TestFibers.await(started, "the running task started");
            boolean runningBefore = d.await(running.isCancelled());
            d.await(running.cancel());
            boolean runningAfter = d.await(running.isCancelled());
            d.await(succeeded.await());
            return new boolean[] {runningBefore, runningAfter,
                    d.await(succeeded.isCancelled()), d.await(failed.get().isCancelled())};
        }).runOrThrow();

        assertThat(seen).containsExactly(false, true, false, false);
    }

    @Test
    void interruptingThePlatformThreadInRunCancelsTheRootAndRestoresTheFlagAfterItTerminated()
            throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean rootFinalized = new AtomicBoolean();
        AtomicBoolean childFinalized = new AtomicBoolean();
        AtomicReference<Exit<String, Integer>> exit = new AtomicReference<>();
        AtomicBoolean finalizedWhenRunReturned = new AtomicBoolean();
        AtomicLong liveWhenRunReturned = new AtomicLong(-1);
        AtomicBoolean interruptedWhenRunReturned = new AtomicBoolean();
        Effect<String, Integer> program = Concurrency.spawn(Effect.<String, Integer>never()
                        .ensuring(Effect.sync(() -> {
                            childFinalized.set(true);
                            return Unit.UNIT;
                        })))
                .then(signal(started))
                .then(Effect.<String, Integer>never())
                .ensuring(Effect.sync(() -> {
                    rootFinalized.set(true);
                    return Unit.UNIT;
                }));

        try (EffectRuntime rt = EffectRuntime.create()) {
            Thread caller = Thread.ofPlatform().name("run-caller").start(() -> {
                Exit<String, Integer> e = rt.run(program);
                liveWhenRunReturned.set(rt.liveFibers());
                finalizedWhenRunReturned.set(rootFinalized.get() && childFinalized.get());
                interruptedWhenRunReturned.set(Thread.currentThread().isInterrupted());
                exit.set(e);
            });
            TestFibers.await(started, "the root fiber started");
            caller.interrupt();
            caller.join(TestFibers.GENEROUS.toMillis());
            assertThat(caller.isAlive()).as("run() returned after the interrupt").isFalse();
            NoLeakedFibers.assertNoLiveFibers(rt);
        }

        assertThat(exit.get()).isEqualTo(Exit.cancelled());
        assertThat(liveWhenRunReturned).as("fibers alive when run() returned").hasValue(0);
        assertThat(finalizedWhenRunReturned).as("every finalizer ran before run() returned").isTrue();
        assertThat(interruptedWhenRunReturned).as("the caller's interrupt flag is set again").isTrue();
    }

    @Test
    void anInterruptedExceptionFromUserCodeWithoutACancelIsADefect() {
        AtomicReference<InterruptedException> thrown = new AtomicReference<>();
        Exit<String, Integer> exit = Effect.<String, Integer>gen(d -> {
            Thread.currentThread().interrupt(); // somebody else's interrupt, not a cancellation
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                thrown.set(e);
                throw e;
            }
            return 1;
        }).run();

        assertThat(exit).isEqualTo(Exit.defect(thrown.get()));
    }

    @Test
    void anInterruptionWrappedInAnUncheckedExceptionWithoutACancelIsADefect() {
        AtomicReference<RuntimeException> thrown = new AtomicReference<>();
        Exit<String, Integer> exit = Effect.<String, Integer>sync(() -> {
            Thread.currentThread().interrupt();
            try {
                new CountDownLatch(1).await();
                return 1;
            } catch (InterruptedException e) {
                RuntimeException wrapped = new RuntimeException("wrapped", e);
                thrown.set(wrapped);
                throw wrapped;
            }
        }).run();

        assertThat(exit).isEqualTo(Exit.defect(thrown.get()));
    }

    @Test
    void anInterruptedExceptionFromUserCodeOfACancelledFiberIsCancellation() {
        CountDownLatch started = new CountDownLatch(1);
        Exit<String, Integer> exit = Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(Effect.<String, Integer>gen(inner -> {
                started.countDown();
                new CountDownLatch(1).await(); // the cancel's interrupt makes this throw
                return 1;
            })));
            TestFibers.await(started, "the task started");
            d.await(task.cancel());
            return d.await(task.await());
        }).runOrThrow();

        assertThat(exit).isEqualTo(Exit.cancelled());
    }

    /** Constructs that cancel part of the calling fiber: the part blocked in a JDK call is interrupted. */
    enum PartialCancel {
        TIMEOUT_WITH {
            @Override
            Effect<String, Integer> around(Effect<String, Integer> blocked) {
                return Concurrency.timeoutWith(10, "timeout", blocked);
            }

            @Override
            Exit<String, Integer> expected() {
                return Exit.failure("timeout");
            }
        },
        RACE_LOST_BY_THE_CALLING_FIBER {
            @Override
            Effect<String, Integer> around(Effect<String, Integer> blocked) {
                return Concurrency.race(blocked, Effect.succeed(2));
            }

            @Override
            Exit<String, Integer> expected() {
                return Exit.success(2);
            }
        },
        SCOPE_WITH_A_FAILING_CHILD {
            @Override
            Effect<String, Integer> around(Effect<String, Integer> blocked) {
                return Concurrency.scope(s -> s.spawn(Effect.<String, Integer>fail("child failed")).then(blocked));
            }

            @Override
            Exit<String, Integer> expected() {
                return Exit.failure("child failed");
            }
        };

        abstract Effect<String, Integer> around(Effect<String, Integer> blocked);

        abstract Exit<String, Integer> expected();
    }

    @ParameterizedTest
    @EnumSource(PartialCancel.class)
    void theInterruptFlagDoesNotLeakOutOfACancelledRegion(PartialCancel construct) {
        AtomicInteger afterBlockedStep = new AtomicInteger();
        Effect<String, Integer> blocked = blockedInJdkCall().then(Effect.sync(afterBlockedStep::incrementAndGet));

        Pair<Exit<String, Integer>, Boolean> result = Effect.<String, Pair<Exit<String, Integer>, Boolean>>gen(d -> {
            Exit<String, Integer> exit = d.await(construct.around(blocked).exit());
            return Pair.of(exit, Thread.currentThread().isInterrupted());
        }).runOrThrow();

        assertThat(result.first()).isEqualTo(construct.expected());
        assertThat(result.second()).as("interrupt flag after " + construct).isFalse();
        assertThat(afterBlockedStep).hasValue(0);
    }

    @Test
    void aCancelledRegionStaysCancelledWhenUserCodeSwallowsTheInterrupt() {
        AtomicBoolean swallowed = new AtomicBoolean();
        AtomicInteger afterSwallowingStep = new AtomicInteger();
        Effect<String, Integer> swallowing = Effect.<String, Integer>sync(() -> {
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                swallowed.set(true); // the bad habit ADR 0001 guards against: the flag is gone
            }
            return 0;
        }).then(Effect.sync(afterSwallowingStep::incrementAndGet));

        Pair<Exit<String, Integer>, Boolean> result = Effect.<String, Pair<Exit<String, Integer>, Boolean>>gen(d -> {
            Exit<String, Integer> exit = d.await(Concurrency.timeoutWith(10, "timeout", swallowing).exit());
            return Pair.of(exit, Thread.currentThread().isInterrupted());
        }).runOrThrow();

        assertThat(swallowed).isTrue();
        assertThat(afterSwallowingStep).as("a step after the swallowed interrupt ran").hasValue(0);
        assertThat(result).isEqualTo(Pair.of(Exit.failure("timeout"), false));
    }

    @Test
    void exitCannotCatchTheCancellationOfItsOwnFiber() {
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger afterExit = new AtomicInteger();
        Exit<String, Integer> exit = Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(
                    signal(started).then(Effect.<String, Integer>never()).<String>exit()
                            .flatMap(captured -> Effect.sync(afterExit::incrementAndGet))));
            TestFibers.await(started, "the task started");
            d.await(task.cancel());
            return d.await(task.await());
        }).runOrThrow();

        assertThat(exit).isEqualTo(Exit.cancelled());
        assertThat(afterExit).hasValue(0);
    }

    @Test
    void exitCapturesTheCancellationOfAJoinedTask() {
        Exit<String, Exit<String, Integer>> exit = Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
            d.await(task.cancel());
            return d.await(task.join().exit());
        }).run();

        assertThat(exit).isEqualTo(Exit.success(Exit.cancelled()));
    }

    @Test
    void aStepThatFinishedAsTheCancelArrivedKeepsItsResult() {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        Exit<String, Integer> exit = Effect.<String, Exit<String, Integer>>gen(d -> {
            // the task's last step ignores interrupts and completes after the cancel request
            Task<String, Integer> task = d.await(Concurrency.spawn(Effect.<String, Integer>sync(() -> {
                started.countDown();
                boolean interrupted = false;
                for (;;) {
                    try {
                        proceed.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                return interrupted ? 42 : -1;
            })));
            TestFibers.await(started, "the task started");
            Task<String, Unit> canceller = d.await(Concurrency.spawn(task.cancel()));
            TestFibers.awaitCancelRequested(d, task);
            proceed.countDown();
            d.await(canceller.join());
            return d.await(task.await());
        }).runOrThrow();

        assertThat(exit).as("the step saw the cancel's interrupt and still completed").isEqualTo(Exit.success(42));
    }
}
