package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finalizers ({@code ensuring}, {@code onExit}, {@code acquireRelease}'s release, {@code onCancel}) and
 * uncancellable regions: each finalizer runs exactly once whatever the outcome, is not interrupted, and a
 * defect it throws is never lost. Runs on its own {@link EffectRuntime} whose error handler records what reaches
 * it.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class FinalizerTest {

    /** How the guarded body ends. */
    enum Outcome { SUCCESS, FAILURE, DEFECT, CANCELLATION }

    /** The finalizer constructs under test, each wrapping a body with a finalizer. */
    enum Guard {
        ENSURING {
            @Override
            Effect<String, Integer> wrap(Effect<String, Integer> body, Effect<String, ?> finalizer) {
                return body.ensuring(finalizer);
            }
        },
        ON_EXIT {
            @Override
            Effect<String, Integer> wrap(Effect<String, Integer> body, Effect<String, ?> finalizer) {
                return body.onExit(exit -> finalizer);
            }
        },
        ACQUIRE_RELEASE {
            @Override
            Effect<String, Integer> wrap(Effect<String, Integer> body, Effect<String, ?> finalizer) {
                return Effect.acquireRelease(Effect.succeed("resource"), resource -> finalizer, resource -> body);
            }
        };

        abstract Effect<String, Integer> wrap(Effect<String, Integer> body, Effect<String, ?> finalizer);
    }

    /** A fresh instance per test (JUnit makes one test object per test), so suppressed lists do not pile up. */
    private final IllegalStateException bodyBug = new IllegalStateException("body defect");

    private final List<Throwable> unobserved = new CopyOnWriteArrayList<>();
    private EffectRuntime rt;

    @BeforeEach
    void createRuntime() {
        rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler((context, error) -> unobserved.add(error)));
    }

    @AfterEach
    void closeRuntime() {
        NoLeakedFibers.assertNoLiveFibers(rt);
        rt.close();
    }

    /** A body that ends with {@code outcome}; for cancellation it opens {@code started} and then waits forever. */
    private Effect<String, Integer> body(Outcome outcome, CountDownLatch started) {
        return switch (outcome) {
            case SUCCESS -> Effect.succeed(1);
            case FAILURE -> Effect.fail("boom");
            case DEFECT -> Effect.sync(() -> {
                throw bodyBug;
            });
            case CANCELLATION -> Effect.<String, Unit>sync(() -> {
                started.countDown();
                return Unit.UNIT;
            }).then(Effect.never());
        };
    }

    /**
     * Runs {@code guarded}: directly, or (for cancellation) as a task that the test cancels once
     * {@code started} opened. Checks that the finalizer count is final when {@code Task.cancel} returns.
     */
    private Exit<String, Integer> runTo(Outcome outcome, Effect<String, Integer> guarded, CountDownLatch started,
                                        AtomicInteger finalized) {
        if (outcome != Outcome.CANCELLATION) {
            return rt.run(guarded);
        }
        Effect<String, Exit<String, Integer>> cancelIt = Effect.gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(guarded));
            TestFibers.await(started, "the body started");
            d.await(task.cancel());
            assertThat(finalized).as("finalizer ran before Task.cancel returned").hasValue(1);
            return d.await(task.await());
        });
        return rt.runOrThrow(cancelIt);
    }

    static Stream<Arguments> everyGuardAfterEveryOutcome() {
        return Stream.of(Guard.values()).flatMap(g -> Stream.of(Outcome.values()).map(o -> Arguments.of(g, o)));
    }

    private Exit<String, Integer> expected(Outcome outcome) {
        return switch (outcome) {
            case SUCCESS -> Exit.success(1);
            case FAILURE -> Exit.failure("boom");
            case DEFECT -> Exit.defect(bodyBug);
            case CANCELLATION -> Exit.cancelled();
        };
    }

    @ParameterizedTest(name = "{0} after {1}")
    @MethodSource("everyGuardAfterEveryOutcome")
    void theFinalizerRunsExactlyOnceUninterrupted(Guard guard, Outcome outcome) {
        AtomicInteger finalized = new AtomicInteger();
        AtomicBoolean interruptedInFinalizer = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Effect<String, Integer> fin = Effect.sync(() -> {
            interruptedInFinalizer.set(Thread.currentThread().isInterrupted());
            return finalized.incrementAndGet();
        });

        Exit<String, Integer> exit = runTo(outcome, guard.wrap(body(outcome, started), fin), started, finalized);

        assertThat(exit).isEqualTo(expected(outcome));
        assertThat(finalized).hasValue(1);
        assertThat(interruptedInFinalizer).as("the finalizer saw an interrupt").isFalse();
        assertThat(unobserved).isEmpty();
    }

    @ParameterizedTest(name = "{0} after {1}")
    @MethodSource("everyGuardAfterEveryOutcome")
    void aDefectThrownByTheFinalizerIsNeverLost(Guard guard, Outcome outcome) {
        AtomicInteger finalized = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        IllegalStateException finalizerBug = new IllegalStateException("finalizer defect " + guard + " " + outcome);
        Effect<String, Integer> fin = Effect.sync(() -> {
            finalized.incrementAndGet();
            throw finalizerBug;
        });

        Exit<String, Integer> exit = runTo(outcome, guard.wrap(body(outcome, started), fin), started, finalized);

        assertThat(finalized).hasValue(1);
        switch (outcome) {
            case SUCCESS -> {
                // nothing else failed: the finalizer's defect becomes the outcome
                assertThat(exit).isEqualTo(Exit.defect(finalizerBug));
                assertThat(unobserved).isEmpty();
            }
            case DEFECT -> {
                // the body's defect stays the outcome and carries the finalizer's as suppressed
                assertThat(exit).isEqualTo(Exit.defect(bodyBug));
                assertThat(bodyBug.getSuppressed()).contains(finalizerBug);
                assertThat(unobserved).isEmpty();
            }
            case FAILURE, CANCELLATION -> {
                // the outcome cannot carry it: it goes to the runtime's error handler
                assertThat(exit).isEqualTo(expected(outcome));
                assertThat(unobserved).containsExactly(finalizerBug);
            }
        }
    }

    @Test
    void aTypedFailureOfTheFinalizerAfterASuccessBecomesADefect() {
        Exit<String, Integer> exit = rt.run(Effect.<String, Integer>succeed(1).ensuring(Effect.fail("fin")));
        assertThat(exit).isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                .isInstanceOfSatisfying(FailureException.class, f -> assertThat(f.error()).isEqualTo("fin")));
    }

    @ParameterizedTest(name = "after {0}")
    @EnumSource(Outcome.class)
    void onCancelRunsOnlyOnCancellation(Outcome outcome) {
        AtomicInteger handled = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        Effect<String, Integer> guarded = body(outcome, started).onCancel(Effect.sync(handled::incrementAndGet));

        // runTo checks a count of 1 when cancel returns; for the other outcomes the count stays 0
        Exit<String, Integer> exit = runTo(outcome, guarded, started, handled);

        assertThat(exit).isEqualTo(expected(outcome));
        assertThat(handled).hasValue(outcome == Outcome.CANCELLATION ? 1 : 0);
    }

    @Test
    void anUncancellableRegionDefersCancellationToItsEnd() {
        CountDownLatch regionStarted = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicInteger regionSteps = new AtomicInteger();
        AtomicInteger afterRegion = new AtomicInteger();
        AtomicBoolean interruptedInRegion = new AtomicBoolean();
        Effect<String, Integer> region = Effect.<String, Integer>sync(() -> {
                    regionSteps.incrementAndGet();
                    regionStarted.countDown();
                    return 0;
                })
                // blocks inside the region: an interrupt here would make await throw
                .then(Effect.attempt(() -> {
                    proceed.await();
                    return 0;
                }, e -> "interrupted inside the region: " + e))
                .then(Effect.sync(() -> {
                    interruptedInRegion.set(Thread.currentThread().isInterrupted());
                    return regionSteps.incrementAndGet();
                }))
                .uncancellable();
        Effect<String, Integer> program = region.then(Effect.sync(afterRegion::incrementAndGet));

        Exit<String, Integer> exit = rt.runOrThrow(Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(program));
            TestFibers.await(regionStarted, "the region started");
            Task<String, Unit> canceller = d.await(Concurrency.spawn(task.cancel()));
            TestFibers.awaitCancelRequested(d, task);
            assertThat(task.poll()).as("the task is still inside its region").isEmpty();
            proceed.countDown();
            d.await(canceller.join());
            return d.await(task.await());
        }));

        assertThat(regionSteps).as("the region completed its remaining steps").hasValue(2);
        assertThat(interruptedInRegion).isFalse();
        assertThat(afterRegion).as("nothing after the region ran").hasValue(0);
        assertThat(exit).isEqualTo(Exit.cancelled());
    }

    @Test
    void releaseIsNotInterruptedByACancelArrivingWhileItRuns() {
        CountDownLatch releaseStarted = new CountDownLatch(1);
        CountDownLatch releaseProceed = new CountDownLatch(1);
        AtomicInteger released = new AtomicInteger();
        AtomicInteger afterBracket = new AtomicInteger();
        AtomicBoolean interruptedInRelease = new AtomicBoolean();
        Effect<String, Integer> program = Effect.<String, String, Integer>acquireRelease(
                        Effect.succeed("resource"),
                        resource -> Effect.attempt(() -> {
                            releaseStarted.countDown();
                            releaseProceed.await(); // an interrupt would make this throw
                            interruptedInRelease.set(Thread.currentThread().isInterrupted());
                            return released.incrementAndGet();
                        }, e -> "release interrupted: " + e),
                        resource -> Effect.succeed(1))
                .then(Effect.sync(afterBracket::incrementAndGet));

        Exit<String, Integer> exit = rt.runOrThrow(Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(program));
            TestFibers.await(releaseStarted, "release started");
            Task<String, Unit> canceller = d.await(Concurrency.spawn(task.cancel()));
            TestFibers.awaitCancelRequested(d, task);
            releaseProceed.countDown();
            d.await(canceller.join());
            return d.await(task.await());
        }));

        assertThat(released).hasValue(1);
        assertThat(interruptedInRelease).isFalse();
        assertThat(unobserved).as("the release failed").isEmpty();
        assertThat(afterBracket).hasValue(0);
        assertThat(exit).isEqualTo(Exit.cancelled());
    }

    @Test
    void acquireIsUncancellableAndItsResourceIsReleasedWithoutBeingUsed() {
        CountDownLatch acquireStarted = new CountDownLatch(1);
        CountDownLatch acquireProceed = new CountDownLatch(1);
        AtomicInteger used = new AtomicInteger();
        AtomicReference<String> released = new AtomicReference<>();
        Effect<String, Integer> program = Effect.acquireRelease(
                Effect.attempt(() -> {
                    acquireStarted.countDown();
                    acquireProceed.await(); // an interrupt would make this throw
                    return "resource";
                }, e -> "acquire interrupted: " + e),
                resource -> Effect.sync(() -> {
                    released.set(resource);
                    return Unit.UNIT;
                }),
                resource -> Effect.sync(used::incrementAndGet));

        Exit<String, Integer> exit = rt.runOrThrow(Effect.<String, Exit<String, Integer>>gen(d -> {
            Task<String, Integer> task = d.await(Concurrency.spawn(program));
            TestFibers.await(acquireStarted, "acquire started");
            Task<String, Unit> canceller = d.await(Concurrency.spawn(task.cancel()));
            TestFibers.awaitCancelRequested(d, task);
            acquireProceed.countDown();
            d.await(canceller.join());
            return d.await(task.await());
        }));

        assertThat(exit).isEqualTo(Exit.cancelled());
        assertThat(used).as("use ran after a cancelled acquire").hasValue(0);
        assertThat(released).hasValue("resource");
    }

    @Test
    void aFailedAcquireReleasesNothing() {
        AtomicInteger released = new AtomicInteger();
        Exit<String, Integer> exit = rt.run(Effect.<String, String, Integer>acquireRelease(
                Effect.fail("no resource"),
                resource -> Effect.sync(released::incrementAndGet),
                resource -> Effect.succeed(1)));
        assertThat(exit).isEqualTo(Exit.failure("no resource"));
        assertThat(released).hasValue(0);
    }

    @Test
    void finalizersRunInnermostFirst() {
        List<String> order = new CopyOnWriteArrayList<>();
        Effect<String, Integer> nested = Effect.<String, String, Integer>acquireRelease(
                        Effect.succeed("r"),
                        r -> Effect.sync(() -> order.add("release")),
                        r -> Effect.<String, Integer>succeed(1).ensuring(Effect.sync(() -> order.add("inner"))))
                .ensuring(Effect.sync(() -> order.add("outer")));
        assertThat(rt.run(nested)).isEqualTo(Exit.success(1));
        assertThat(order).containsExactly("inner", "release", "outer");
    }
}
