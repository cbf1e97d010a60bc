package aivi.concurrency;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;

// The bridge between effects and java.util.concurrent futures (SPEC §4.1), both ways.
//
// Effect <- future (fromFuture, awaitFuture). The fiber waits in Future.get() inside Fiber.blockFor, the one
// library wait loop: a cancellation of the fiber interrupts the thread, get() throws InterruptedException,
// blockFor sees the fiber cancelled and returns Cancelled (a stray interrupt just retries the get). The wait
// itself is the JDK's: CompletableFuture.get parks the virtual thread, so no carrier is blocked. After the
// wait:
//   * fromFuture owns the future: on Cancelled it calls toCompletableFuture().cancel(true) (HttpClient's
//     sendAsync aborts the exchange on it) and the effect ends Cancelled;
//   * awaitFuture does not own it: it only stops waiting, the future is never touched.
// A value that was already there when the cancellation arrived is kept (blockFor returns the value; the run
// loop observes the cancellation before the next step), as with channels.
//
// Outcomes: get() returns the value (Success); throws ExecutionException (the cause, unwrapped again from
// CompletionException/ExecutionException layers a stage may have added, becomes Failure(onFailure(cause)));
// throws CancellationException (a future cancelled by somebody else: Failure(onFailure(that exception))).
// onFailure runs on the fiber; if it throws or returns null the effect ends in a defect.
//
// Future <- effect (runAsync). The effect runs on a new root fiber of the runtime whose completion callback
// (it runs on the fiber thread after the root scope closed, i.e. after every child terminated, and before the
// fiber counts as terminated) completes a RootFuture. RootFuture.cancel first completes the future (super),
// and only if that won cancels the root fiber: a cancel racing with the fiber's own completion either loses
// (the future already holds the outcome; the fiber is not touched) or wins (the fiber is cancelled, its
// finalizers run, and its later outcome is dropped by complete*, which then no-ops). The fiber's thread is not
// waited for: CompletableFuture.cancel must not block.
final class Futures {
    private Futures() {
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <E, A> Effect<E, A> fromFuture(Supplier<? extends CompletionStage<? extends A>> start,
                                         Function<? super Throwable, ? extends E> onFailure) {
        return new Node.Prim<>(fiber -> {
            CompletionStage<? extends A> stage = start.get();
            if (stage == null) {
                throw new NullPointerException("Effect.fromFuture: start returned null");
            }
            CompletableFuture<? extends A> future = toFuture(stage);
            Exit<E, Object> waited = fiber.blockFor(FiberDump.Activity.FUTURE, future, () -> outcome(future));
            if (waited instanceof Exit.Cancelled) {
                future.cancel(true);
                return (Exit) waited;
            }
            return finish(((Exit.Success<E, Object>) waited).value(), onFailure, "Effect.fromFuture");
        });
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <E, A> Effect<E, A> awaitFuture(Future<? extends A> future,
                                          Function<? super Throwable, ? extends E> onFailure) {
        return new Node.Prim<>(fiber -> {
            Exit<E, Object> waited = fiber.blockFor(FiberDump.Activity.FUTURE, future, () -> outcome(future));
            if (waited instanceof Exit.Cancelled) {
                return (Exit) waited; // not ours: only the wait stops
            }
            return finish(((Exit.Success<E, Object>) waited).value(), onFailure, "Effect.awaitFuture");
        });
    }

    /** A stage's future; a stage that cannot give one is mirrored (cancelling the mirror cannot reach it). */
    private static <A> CompletableFuture<? extends A> toFuture(CompletionStage<? extends A> stage) {
        try {
            return stage.toCompletableFuture();
        } catch (UnsupportedOperationException e) {
            CompletableFuture<A> mirror = new CompletableFuture<>();
            stage.whenComplete((v, t) -> {
                if (t != null) {
                    mirror.completeExceptionally(t);
                } else {
                    mirror.complete(v);
                }
            });
            return mirror;
        }
    }

    /** Marks a thrown outcome of {@link Future#get()} so it can travel as the wait's value. */
    private record Thrown(Throwable cause) {
    }

    /** Waits for {@code future}: its value, or a {@link Thrown} with the unwrapped cause. */
    private static Object outcome(Future<?> future) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            return new Thrown(unwrap(e));
        } catch (CancellationException e) {
            return new Thrown(e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <E, A> Exit<E, A> finish(Object value, Function<? super Throwable, ? extends E> onFailure,
                                            String what) {
        if (!(value instanceof Thrown thrown)) {
            return Exit.success((A) value);
        }
        E error = onFailure.apply(thrown.cause()); // a throw here is a defect (the run loop classifies it)
        if (error == null) {
            throw new NullPointerException(what + ": onFailure returned null for " + thrown.cause());
        }
        return new Exit.Failure<>(error);
    }

    /** The cause under the wrappers {@link CompletableFuture} adds; the exception itself if it has none. */
    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    // ------------------------------------------------------------------------------------------------------
    // runAsync

    static <E, A> CompletableFuture<A> runAsync(EffectRuntime runtime, Effect<E, A> effect) {
        RootFuture<A> future = new RootFuture<>();
        future.fiber = runtime.startRoot(effect, exit -> future.settle(exit), "EffectRuntime.runAsync");
        return future;
    }

    /** The future of a root fiber: cancelling it cancels the fiber. */
    static final class RootFuture<A> extends CompletableFuture<A> {
        /** Set right after the fiber started, before the future is handed out. */
        volatile Fiber fiber;

        @SuppressWarnings("unchecked")
        void settle(Exit<?, ?> exit) {
            switch (exit) {
                case Exit.Success<?, ?> s -> complete((A) s.value());
                case Exit.Failure<?, ?> f -> completeExceptionally(new FailureException(f.error()));
                case Exit.Defect<?, ?> d -> completeExceptionally(d.cause());
                case Exit.Cancelled<?, ?> c -> super.cancel(false);
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean won = super.cancel(mayInterruptIfRunning);
            Fiber f = fiber;
            if (won && f != null) {
                f.cancel();
            }
            return won;
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>(); // dependent stages are plain futures: cancelling them stays local
        }

        @Override
        public String toString() {
            return "EffectFuture[" + fiber + ", " + super.toString() + "]";
        }
    }
}
