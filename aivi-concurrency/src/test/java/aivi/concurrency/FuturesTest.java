package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** SPEC §4.1: futures into effects (fromFuture, awaitFuture) and effects into futures (runAsync), every outcome. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FuturesTest {

    private static final long GENEROUS_MS = TestFibers.GENEROUS.toMillis();

    // ---- fromFuture ----------------------------------------------------------------------------------------

    @Test
    void fromFutureSucceedsWithTheValueAndCallsStartOncePerRun() {
        AtomicInteger starts = new AtomicInteger();
        Effect<String, Integer> e = Effect.fromFuture(() -> {
            starts.incrementAndGet();
            return CompletableFuture.supplyAsync(() -> 42);
        }, cause -> "failed: " + cause);
        assertThat(starts).hasValue(0); // lazy
        assertThat(e.run()).isEqualTo(Exit.success(42));
        assertThat(e.run()).isEqualTo(Exit.success(42));
        assertThat(starts).hasValue(2);
    }

    @Test
    void fromFutureTurnsAnExceptionalCompletionIntoTheTypedErrorOfTheUnwrappedCause() {
        IOException cause = new IOException("connection reset");
        CompletableFuture<String> wrapped = new CompletableFuture<>();
        wrapped.completeExceptionally(new CompletionException(new ExecutionException(cause)));
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Exit<String, String> exit = Effect.<String, String>fromFuture(() -> wrapped, t -> {
            seen.set(t);
            return "io: " + t.getMessage();
        }).run();
        assertThat(exit).isEqualTo(Exit.failure("io: connection reset"));
        assertThat(seen.get()).isSameAs(cause);
    }

    @Test
    void fromFutureOfAFutureFailedAsync() {
        IllegalStateException boom = new IllegalStateException("boom");
        Exit<Throwable, String> exit = Effect.<Throwable, String>fromFuture(
                () -> CompletableFuture.supplyAsync(() -> {
                    throw boom;
                }), t -> t).run();
        assertThat(exit).isEqualTo(Exit.failure(boom)); // supplyAsync's CompletionException is unwrapped
    }

    @Test
    void fromFutureOfAFutureCancelledBySomebodyElseFailsWithTheCancellationException() {
        CompletableFuture<String> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        Exit<Throwable, String> exit = Effect.<Throwable, String>fromFuture(() -> cancelled, t -> t).run();
        assertThat(exit).isInstanceOfSatisfying(Exit.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(CancellationException.class));
    }

    @Test
    void anOnFailureThatThrowsOrReturnsNullIsADefect() {
        CompletableFuture<String> failed = CompletableFuture.failedFuture(new IOException("x"));
        IllegalArgumentException bug = new IllegalArgumentException("bug in onFailure");
        assertThat(Effect.<String, String>fromFuture(() -> failed, t -> {
            throw bug;
        }).run()).isEqualTo(Exit.defect(bug));
        assertThat(Effect.<String, String>fromFuture(() -> failed, t -> null).run())
                .isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                        .isInstanceOf(NullPointerException.class).hasMessageContaining("onFailure returned null"));
        assertThat(Effect.<String, String>awaitFuture(failed, t -> {
            throw bug;
        }).run()).isEqualTo(Exit.defect(bug));
    }

    @Test
    void aStartThatThrowsOrReturnsNullIsADefect() {
        IllegalStateException bug = new IllegalStateException("cannot start");
        assertThat(Effect.<String, String>fromFuture(() -> {
            throw bug;
        }, t -> "x").run()).isEqualTo(Exit.defect(bug));
        assertThat(Effect.<String, String>fromFuture(() -> null, t -> "x").run())
                .isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                        .hasMessageContaining("start returned null"));
    }

    @Test
    void cancellingTheFiberCancelsTheOwnedFutureAndEndsCancelled() throws Exception {
        CompletableFuture<String> owned = new CompletableFuture<>();
        CountDownLatch started = new CountDownLatch(1);
        Exit<String, Exit<String, String>> exit = Effect.<String, Exit<String, String>>gen(d -> {
            Task<String, String> t = d.await(Concurrency.spawn(Effect.<String, String>fromFuture(() -> {
                started.countDown();
                return owned;
            }, c -> "failed")));
            TestFibers.await(started, "fromFuture to start");
            TestFibers.awaitParked(t);
            d.await(t.cancel());
            return d.await(t.await());
        }).run();
        assertThat(exit).isEqualTo(Exit.success(Exit.cancelled()));
        assertThat(owned.isCancelled()).isTrue();
    }

    @Test
    void aTimeoutAroundFromFutureCancelsTheFuture() {
        CompletableFuture<String> owned = new CompletableFuture<>();
        Exit<String, String> exit = Concurrency.timeoutWith(20, "too slow",
                Effect.<String, String>fromFuture(() -> owned, c -> "failed")).run();
        assertThat(exit).isEqualTo(Exit.failure("too slow"));
        assertThat(owned.isCancelled()).isTrue();
    }

    @Test
    void fromFutureOfAStageWithoutToCompletableFutureStillWorks() {
        CompletableFuture<String> source = new CompletableFuture<>();
        java.util.concurrent.CompletionStage<String> opaque = new OpaqueStage<>(source);
        Effect<String, String> e = Effect.fromFuture(() -> opaque, c -> "failed");
        CompletableFuture.runAsync(() -> source.complete("late value"));
        assertThat(e.run()).isEqualTo(Exit.success("late value"));
    }

    // ---- awaitFuture ---------------------------------------------------------------------------------------

    @Test
    void awaitFutureYieldsTheValueOrTheTypedErrorOfAPlainFuture() throws Exception {
        FutureTask<String> ok = new FutureTask<>(() -> "done");
        Thread.ofVirtual().start(ok).join();
        assertThat(Effect.<String, String>awaitFuture(ok, t -> "failed").run()).isEqualTo(Exit.success("done"));

        IOException io = new IOException("disk");
        FutureTask<String> bad = new FutureTask<>(() -> {
            throw io;
        });
        Thread.ofVirtual().start(bad).join();
        AtomicReference<Throwable> seen = new AtomicReference<>();
        assertThat(Effect.<String, String>awaitFuture(bad, t -> {
            seen.set(t);
            return "failed: " + t.getMessage();
        }).run()).isEqualTo(Exit.failure("failed: disk"));
        assertThat(seen.get()).isSameAs(io); // unwrapped from the ExecutionException
    }

    @Test
    void awaitFutureOfAFutureCancelledByItsOwnerFailsWithTheCancellationException() throws Exception {
        CompletableFuture<String> shared = new CompletableFuture<>();
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Exit<Throwable, String>> result = CompletableFuture.supplyAsync(() -> Effect.<Throwable, String>gen(d -> {
            waiting.countDown();
            return d.await(Effect.<Throwable, String>awaitFuture(shared, t -> t));
        }).run());
        TestFibers.await(waiting, "the fiber to start waiting");
        shared.cancel(true);
        assertThat(result.get(GENEROUS_MS, TimeUnit.MILLISECONDS)).isInstanceOfSatisfying(Exit.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(CancellationException.class));
    }

    @Test
    void cancellingTheFiberStopsTheWaitButNeverCancelsTheFuture() {
        CompletableFuture<String> shared = new CompletableFuture<>();
        Exit<String, String> exit = Concurrency.timeoutWith(20, "gave up",
                Effect.<String, String>awaitFuture(shared, c -> "failed")).run();
        assertThat(exit).isEqualTo(Exit.failure("gave up"));
        assertThat(shared.isCancelled()).isFalse();
        assertThat(shared.isDone()).isFalse();
        shared.complete("still usable");
        assertThat(Effect.<String, String>awaitFuture(shared, c -> "failed").run()).isEqualTo(Exit.success("still usable"));
    }

    // ---- runAsync ------------------------------------------------------------------------------------------

    @Test
    void runAsyncCompletesWithTheValue() throws Exception {
        CompletableFuture<Integer> f = Effect.<String, Integer>succeed(21).map(x -> x * 2).runAsync();
        assertThat(f.get(GENEROUS_MS, TimeUnit.MILLISECONDS)).isEqualTo(42);
    }

    @Test
    void runAsyncOfATypedFailureCompletesWithAFailureExceptionCarryingTheError() {
        CompletableFuture<Integer> f = Effect.<String, Integer>fail("not found").runAsync();
        assertThatThrownBy(() -> f.get(GENEROUS_MS, TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(FailureException.class, fe -> assertThat(fe.error()).isEqualTo("not found"));
        assertThat(f.isCancelled()).isFalse();
    }

    @Test
    void runAsyncOfADefectCompletesWithTheDefectItself() {
        IllegalStateException bug = new IllegalStateException("bug");
        CompletableFuture<Integer> f = Effect.<String, Integer>sync(() -> {
            throw bug;
        }).runAsync();
        assertThatThrownBy(() -> f.get(GENEROUS_MS, TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class).cause().isSameAs(bug);
        assertThatThrownBy(f::join).isInstanceOf(CompletionException.class).cause().isSameAs(bug);
    }

    @Test
    void runAsyncOfACancelledEffectCancelsTheFuture() throws Exception {
        CompletableFuture<Integer> f = Effect.<String, Integer>gen(d -> {
            Task<String, Integer> t = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
            d.await(t.cancel());
            return d.await(t.join()); // joining a cancelled task ends the joiner cancelled
        }).runAsync();
        assertThatThrownBy(() -> f.get(GENEROUS_MS, TimeUnit.MILLISECONDS)).isInstanceOf(CancellationException.class);
        assertThat(f.isCancelled()).isTrue();
    }

    @Test
    void cancellingTheFutureCancelsTheRootFiberAndItsFinalizersRunToCompletion() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finalizerMayEnd = new CountDownLatch(1);
        EventLog log = new EventLog();
        try (EffectRuntime rt = EffectRuntime.create()) {
            CompletableFuture<String> f = rt.runAsync(Effect.<String, Unit>sync(() -> {
                running.countDown();
                return Unit.UNIT;
            }).then(Effect.<String, String>never()).ensuring(Effect.sync(() -> {
                try {
                    TestFibers.await(finalizerMayEnd, "the test to let the finalizer end");
                } catch (InterruptedException e) {
                    throw new AssertionError("a finalizer was interrupted", e);
                }
                return Unit.UNIT;
            }).then(log.add("finalized"))));
            TestFibers.await(running, "the root fiber to start");
            assertThat(f.cancel(true)).isTrue(); // returns at once, while the finalizer still runs
            assertThat(f.isCancelled()).isTrue();
            assertThat(log.events()).isEmpty();
            finalizerMayEnd.countDown();
            Fiber root = ((Futures.RootFuture<String>) f).fiber;
            root.awaitTerminationUninterruptibly();
            assertThat(log.events()).containsExactly("finalized");
            assertThat(root.exit).isEqualTo(Exit.cancelled());
            assertThat(f.cancel(true)).isTrue(); // CompletableFuture: "true if this task is now cancelled"
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void cancellingAFinishedFutureChangesNothing() throws Exception {
        CompletableFuture<String> f = Effect.<String, String>succeed("done").runAsync();
        assertThat(f.get(GENEROUS_MS, TimeUnit.MILLISECONDS)).isEqualTo("done");
        assertThat(f.cancel(true)).isFalse();
        assertThat(f.join()).isEqualTo("done");
    }

    @Test
    void runAsyncCompletesOnlyAfterEveryChildTerminated() throws Exception {
        EventLog log = new EventLog();
        try (EffectRuntime rt = EffectRuntime.create()) {
            CountDownLatch childRunning = new CountDownLatch(1);
            CompletableFuture<String> f = rt.runAsync(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                childRunning.countDown();
                return Unit.UNIT;
            }).then(Effect.<String, Unit>never()).ensuring(log.add("child finalized")))
                    .then(Effect.<String, Unit>sync(() -> {
                        try {
                            TestFibers.await(childRunning, "the child to run");
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        return Unit.UNIT;
                    })).as("body done"));
            assertThat(f.get(GENEROUS_MS, TimeUnit.MILLISECONDS)).isEqualTo("body done");
            assertThat(log.events()).containsExactly("child finalized");
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void runAsyncRejectsNullAndAClosedRuntime() {
        EffectRuntime rt = EffectRuntime.create();
        assertThatThrownBy(() -> rt.runAsync(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("runAsync: effect");
        rt.close();
        assertThatThrownBy(() -> rt.runAsync(Effect.unit())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("runAsync: the runtime is closed");
        assertThatThrownBy(() -> Effect.fromFuture(null, t -> t)).hasMessageContaining("start");
        assertThatThrownBy(() -> Effect.awaitFuture(new CompletableFuture<>(), null)).hasMessageContaining("onFailure");
    }

    /** A stage that refuses toCompletableFuture, as a minimal third-party implementation may. */
    private static final class OpaqueStage<T> extends CompletableFuture<T> {
        OpaqueStage(CompletableFuture<T> source) {
            source.whenComplete((v, t) -> {
                if (t != null) {
                    completeExceptionally(t);
                } else {
                    complete(v);
                }
            });
        }

        @Override
        public CompletableFuture<T> toCompletableFuture() {
            throw new UnsupportedOperationException("opaque");
        }
    }
}
