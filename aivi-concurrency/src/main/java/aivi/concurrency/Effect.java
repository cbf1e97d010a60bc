package aivi.concurrency;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import com.google.errorprone.annotations.CheckReturnValue;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A lazy, immutable, re-runnable description of work that succeeds with an {@code A}, fails with a typed
 * error {@code E}, dies with a defect (an unexpected {@link Throwable}), or is cancelled.
 *
 * <p>Nothing happens until the effect is run ({@link #run()}, {@link #runOrThrow()},
 * {@link EffectRuntime#run(Effect)}); running it twice does the work twice. Each run happens on a <em>fiber</em>, a
 * virtual thread: blocking inside an effect parks the virtual thread, not a carrier.
 *
 * {@snippet :
 * Effect<String, Integer> parse(String s) {
 *     return Effect.attempt(() -> Integer.parseInt(s), e -> "not a number: " + s);
 * }
 *
 * Effect<String, Integer> sum = parse("20").flatMap(a -> parse("22").map(b -> a + b));
 * int value = sum.runOrThrow(); // 42
 * }
 *
 * <p><b>Outcomes.</b> A typed failure ({@link #fail}) is expected and recoverable ({@link #catchAll},
 * {@link Concurrency#retry}). An exception thrown by user code in {@link #sync}, {@link #map},
 * {@link #flatMap} and friends is a <em>defect</em>: it is not caught by {@code catchAll} and not retried,
 * and {@link Exit.Defect#cause()} is the very exception thrown. Cancellation is neither.
 *
 * <p><b>Stack safety.</b> The interpreter uses an explicit stack: a million nested {@code flatMap}s, left- or
 * right-associated, and effects that loop by recursion run in constant Java stack.
 *
 * <p><b>An effect that is built and dropped does nothing.</b> {@code Concurrency.sleep(10);} as a statement
 * only builds a value. {@code Effect} and the types that build effects are annotated
 * {@code @CheckReturnValue} (Error Prone's annotation, needed at compile time only), so Error Prone and
 * IDEs that read it warn about such a statement; {@link #run()} and {@link #runOrThrow()} are exempt.
 *
 * <p><b>Type inference.</b> A generic factory used as the receiver of a chain ({@code
 * Concurrency.sleep(50).as("x")}) makes Java infer {@code E = Object}. Prefer the forms that take the next
 * effect as an argument ({@link #then}, {@link #zip}), the direct-style builder {@link #gen}, or assign the
 * factory to a typed variable first.
 *
 * @param <E> the typed error
 * @param <A> the value
 */
@CheckReturnValue
public abstract sealed class Effect<E, A>
        permits Node.Succeed, Node.Fail, Node.Done, Node.Sync, Node.Attempt, Node.Suspend, Node.FlatMap,
        Node.Map, Node.Fold, Node.Ensuring, Node.CaptureExit, Node.Mask, Node.PopMask, Node.Prim, Node.Gen, Node.Op, Node.OpThen, Node.Bind, Node.MapValue,
        Node.MapChain {

    /** The node kind, see {@link Node}. */
    final int tag;

    Effect(int tag) {
        this.tag = tag;
    }

    /**
     * The body of a direct-style block, see {@link #gen}.
     *
     * @param <E> the typed error of the block
     * @param <A> the value of the block
     */
    @FunctionalInterface
    public interface Body<E, A> {
        /**
         * Runs the block.
         *
         * @param d the handle to await sub-effects with
         * @return the block's value
         * @throws Exception any exception: it becomes a defect of the block
         */
        A run(Direct<E> d) throws Exception;
    }

    // ------------------------------------------------------------------------------------------------------
    // Constructors

    /**
     * An effect that succeeds with {@code value}.
     *
     * @param value the value (may be {@code null})
     * @param <E>   the typed error
     * @param <A>   the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> succeed(A value) {
        return new Node.Succeed<>(value);
    }

    /**
     * An effect that fails with the typed error {@code error}.
     *
     * @param error the error
     * @param <E>   the typed error
     * @param <A>   the value type
     * @return the effect
     * @throws NullPointerException if {@code error} is {@code null}
     */
    public static <E, A> Effect<E, A> fail(E error) {
        return new Node.Fail<>(Objects.requireNonNull(error, "Effect.fail: error must not be null"));
    }

    /**
     * An effect that succeeds with {@link Unit#UNIT}.
     *
     * @param <E> the typed error
     * @return the effect
     */
    @SuppressWarnings("unchecked")
    public static <E> Effect<E, Unit> unit() {
        return (Effect<E, Unit>) UNIT;
    }

    private static final Effect<Object, Unit> UNIT = new Node.Succeed<>(Unit.UNIT);

    /** What {@link #never()} waits on, for dumps. */
    private static final Object NEVER = new Object() {
        @Override
        public String toString() {
            return "forever (Effect.never)";
        }
    };

    /**
     * An effect that never completes; it ends only by cancellation.
     *
     * @param <E> the typed error
     * @param <A> the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> never() {
        return new Node.Prim<>(fiber -> fiber.blockFor(FiberDump.Activity.SLEEP, NEVER, () -> {
            new java.util.concurrent.CountDownLatch(1).await(); // returns only by an interrupt
            throw new AssertionError("unreachable: a latch nobody counts down was released");
        }));
    }

    /**
     * An effect that runs {@code thunk} each time it is run and succeeds with its result. An exception the
     * thunk throws is a defect, unless it is the interruption of a cancelled fiber (then the effect is
     * cancelled).
     *
     * @param thunk the code to run; it may block (the fiber is a virtual thread)
     * @param <E>   the typed error
     * @param <A>   the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> sync(Supplier<? extends A> thunk) {
        return new Node.Sync<>(Objects.requireNonNull(thunk, "Effect.sync: thunk must not be null"));
    }

    /**
     * An effect that runs {@code thunk} and turns an {@link Exception} it throws into the typed error
     * {@code onException.apply(exception)}. An {@link Error} is a defect; an interruption of a cancelled
     * fiber is a cancellation.
     *
     * {@snippet :
     * Effect<String, String> read = Effect.attempt(
     *         () -> java.nio.file.Files.readString(java.nio.file.Path.of("config.txt")),
     *         e -> "cannot read config: " + e.getMessage());
     * }
     *
     * @param thunk       the code to run
     * @param onException maps an exception to the typed error
     * @param <E>         the typed error
     * @param <A>         the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> attempt(Callable<? extends A> thunk,
                                              Function<? super Exception, ? extends E> onException) {
        return new Node.Attempt<>(Objects.requireNonNull(thunk, "Effect.attempt: thunk must not be null"),
                Objects.requireNonNull(onException, "Effect.attempt: onException must not be null"));
    }

    /**
     * An effect built anew by {@code thunk} each time it is run: the way to write recursive effects.
     *
     * @param thunk builds the effect
     * @param <E>   the typed error
     * @param <A>   the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> suspend(Supplier<? extends Effect<E, A>> thunk) {
        return new Node.Suspend<>(Objects.requireNonNull(thunk, "Effect.suspend: thunk must not be null"));
    }

    /**
     * An effect that ends with the given outcome.
     *
     * @param exit the outcome
     * @param <E>  the typed error
     * @param <A>  the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> fromExit(Exit<E, A> exit) {
        return new Node.Done<>(Objects.requireNonNull(exit, "Effect.fromExit: exit must not be null"));
    }

    /**
     * A direct-style block: inside {@code body}, {@link Direct#await d.await(effect)} runs a sub-effect on
     * the current fiber and returns its value; a typed failure of a sub-effect ends the block with that
     * failure. Any exception the body throws is a defect.
     *
     * {@snippet :
     * Effect<String, String> greeting = Effect.gen(d -> {
     *     String name = d.await(Effect.succeed("Ada"));
     *     d.await(Concurrency.sleep(10));
     *     return "hello " + name;
     * });
     * }
     *
     * @param body the block
     * @param <E>  the typed error
     * @param <A>  the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> gen(Body<E, A> body) {
        return new Node.Gen<>(Objects.requireNonNull(body, "Effect.gen: body must not be null"));
    }

    /**
     * A resource bracket: runs {@code acquire} uncancellably; if it succeeds, runs {@code use} with the
     * resource (cancellable as the surrounding code is), then runs {@code release} uncancellably, exactly
     * once, whatever {@code use} ended with: success, failure, defect or cancellation. A failure of
     * {@code release} is never lost: after a success it becomes the outcome (a defect), after a defect it is
     * attached as suppressed, otherwise it goes to the runtime's error handler.
     *
     * {@snippet :
     * Effect<String, Integer> lines = Effect.acquireRelease(
     *         Effect.sync(() -> new java.io.StringReader("a\nb")),
     *         reader -> Effect.sync(() -> { reader.close(); return Unit.UNIT; }),
     *         reader -> Effect.sync(() -> (int) new java.io.BufferedReader(reader).lines().count()));
     * }
     *
     * @param acquire obtains the resource
     * @param release frees it
     * @param use     uses it
     * @param <E>     the typed error
     * @param <R>     the resource type
     * @param <A>     the value type
     * @return the effect
     */
    public static <E, R, A> Effect<E, A> acquireRelease(Effect<E, R> acquire,
                                                        Function<? super R, ? extends Effect<?, ?>> release,
                                                        Function<? super R, ? extends Effect<E, A>> use) {
        Objects.requireNonNull(acquire, "Effect.acquireRelease: acquire must not be null");
        Objects.requireNonNull(release, "Effect.acquireRelease: release must not be null");
        Objects.requireNonNull(use, "Effect.acquireRelease: use must not be null");
        return new Node.Prim<>(fiber -> Bracket.run(fiber, acquire, release, use));
    }

    /**
     * An effect that starts a {@link CompletionStage} with {@code start} each time it runs and waits for it:
     * the way to call asynchronous Java APIs ({@code HttpClient.sendAsync}, async SDK clients) from an effect.
     * The effect owns the future.
     *
     * <p>Blocks the fiber (a parked virtual thread) until the future completes. Its value is the effect's
     * value; an exceptional completion becomes {@code Failure(onFailure(cause))}, with {@code cause} unwrapped
     * from {@link java.util.concurrent.CompletionException}/{@link java.util.concurrent.ExecutionException}
     * (a future cancelled by somebody else gives its {@link java.util.concurrent.CancellationException}).
     * If {@code start} or {@code onFailure} throws, or either returns {@code null}, the effect ends in a
     * defect.
     *
     * <p><b>Cancellation.</b> Cancelling the fiber while it waits cancels the future
     * ({@code toCompletableFuture().cancel(true)}; {@code HttpClient} then aborts the request) and the effect
     * ends {@link Exit.Cancelled}. A stage whose {@code toCompletableFuture()} is unsupported is awaited
     * through a copy, and a cancellation then only stops the wait.
     *
     * {@snippet :
     * java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
     * java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
     *         java.net.URI.create("http://127.0.0.1:8080/price")).build();
     * Effect<String, String> price = Effect.fromFuture(
     *         () -> http.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.ofString()),
     *         cause -> "price service: " + cause)
     *     .map(java.net.http.HttpResponse::body);
     * Effect<String, String> bounded = Concurrency.timeoutWith(500, "price service: too slow", price);
     * }
     *
     * @param start     starts the asynchronous work; called on the fiber, once per run
     * @param onFailure maps the cause of an exceptional completion to the typed error
     * @param <E>       the typed error
     * @param <A>       the value type
     * @return the effect
     * @throws NullPointerException if an argument is {@code null}
     */
    public static <E, A> Effect<E, A> fromFuture(Supplier<? extends CompletionStage<? extends A>> start,
                                                 Function<? super Throwable, ? extends E> onFailure) {
        return Futures.fromFuture(Objects.requireNonNull(start, "Effect.fromFuture: start must not be null"),
                Objects.requireNonNull(onFailure, "Effect.fromFuture: onFailure must not be null"));
    }

    /**
     * An effect that waits for a {@link Future} somebody else owns (a shared cache entry, an executor's
     * task) and succeeds with its value.
     *
     * <p>Blocks the fiber (a parked virtual thread) until the future completes. An exceptional completion
     * becomes {@code Failure(onFailure(cause))}, {@code cause} unwrapped from
     * {@link java.util.concurrent.CompletionException}/{@link java.util.concurrent.ExecutionException}; a
     * future cancelled by its owner becomes {@code Failure(onFailure(the CancellationException))}. If
     * {@code onFailure} throws or returns {@code null}, the effect ends in a defect. Each run awaits the same
     * future.
     *
     * <p><b>Cancellation.</b> Cancelling the fiber stops the wait (the effect ends {@link Exit.Cancelled});
     * the future is never cancelled.
     *
     * {@snippet :
     * CompletableFuture<String> shared = new CompletableFuture<>();
     * Effect<String, String> waitForIt = Effect.awaitFuture(shared, cause -> "lookup failed: " + cause);
     * shared.complete("cached");
     * String value = waitForIt.runOrThrow(); // "cached"
     * }
     *
     * @param future    the future to wait for
     * @param onFailure maps the cause of an exceptional completion to the typed error
     * @param <E>       the typed error
     * @param <A>       the value type
     * @return the effect
     * @throws NullPointerException if an argument is {@code null}
     */
    public static <E, A> Effect<E, A> awaitFuture(Future<? extends A> future,
                                                  Function<? super Throwable, ? extends E> onFailure) {
        return Futures.awaitFuture(Objects.requireNonNull(future, "Effect.awaitFuture: future must not be null"),
                Objects.requireNonNull(onFailure, "Effect.awaitFuture: onFailure must not be null"));
    }

    // ------------------------------------------------------------------------------------------------------
    // Combinators

    /**
     * Transforms the value. An exception {@code f} throws is a defect.
     *
     * @param f   the function
     * @param <B> the new value type
     * @return the effect
     */
    public final <B> Effect<E, B> map(Function<? super A, ? extends B> f) {
        Objects.requireNonNull(f, "Effect.map: f must not be null");
        if (tag == Node.SUCCEED) {
            return new Node.MapValue<>(((Node.Succeed<E, A>) this).value, f);
        }
        if (CallSites.ENABLED) {
            CallSites.note(f);
        }
        if (tag == Node.MAP || tag == Node.MAP_CHAIN) {
            return Node.MapChain.append(this, f); // a map of a map: fused into a chain (see Node.MapChain)
        }
        return new Node.Map<>(this, f);
    }

    /**
     * Runs this effect, then the effect {@code f} makes of its value.
     *
     * @param f   the continuation
     * @param <B> the new value type
     * @return the effect
     */
    public final <B> Effect<E, B> flatMap(Function<? super A, ? extends Effect<E, B>> f) {
        Objects.requireNonNull(f, "Effect.flatMap: f must not be null");
        if (tag == Node.SUCCEED) {
            return new Node.Bind<>(((Node.Succeed<E, A>) this).value, f);
        }
        if (CallSites.ENABLED) {
            CallSites.note(f);
        }
        return Node.flatMapOf(this, f); // fused when this is a channel operation (Node.OpThen)
    }

    /**
     * Replaces the value with {@code value}.
     *
     * @param value the new value
     * @param <B>   the new value type
     * @return the effect
     */
    public final <B> Effect<E, B> as(B value) {
        return new Node.Map<>(this, a -> value);
    }

    /**
     * Replaces the value with {@link Unit#UNIT}.
     *
     * @return the effect
     */
    public final Effect<E, Unit> asUnit() {
        return as(Unit.UNIT);
    }

    /**
     * Runs this effect, then {@code next}, and keeps the value of {@code next}. Because {@code next} is an
     * argument, Java infers its error type from this effect: {@code first.then(Concurrency.sleep(10))} needs
     * no type witness.
     *
     * @param next the effect to run after this one
     * @param <B>  the value type of {@code next}
     * @return the effect
     */
    public final <B> Effect<E, B> then(Effect<E, B> next) {
        Objects.requireNonNull(next, "Effect.then: next must not be null");
        return Node.flatMapOf(this, a -> next); // fused when this is a channel operation (Node.OpThen)
    }

    /**
     * Same as {@link #then}: runs this effect, then {@code next}, keeping the value of {@code next}.
     *
     * @param next the effect to run after this one
     * @param <B>  the value type of {@code next}
     * @return the effect
     */
    public final <B> Effect<E, B> zipRight(Effect<E, B> next) {
        return then(next);
    }

    /**
     * Runs this effect, then {@code next}, keeping the value of this one.
     *
     * @param next the effect to run after this one
     * @return the effect
     */
    public final Effect<E, A> zipLeft(Effect<E, ?> next) {
        Objects.requireNonNull(next, "Effect.zipLeft: next must not be null");
        return new Node.FlatMap<>(this, a -> new Node.Map<>(next, b -> a));
    }

    /**
     * Runs this effect, then {@code that} (sequentially), and pairs the values. For the concurrent version
     * see {@link Concurrency#par}.
     *
     * @param that the second effect
     * @param <B>  its value type
     * @return the effect
     */
    public final <B> Effect<E, Pair<A, B>> zip(Effect<E, B> that) {
        Objects.requireNonNull(that, "Effect.zip: that must not be null");
        return new Node.FlatMap<>(this, a -> new Node.Map<>(that, b -> new Pair<>(a, b)));
    }

    /**
     * Runs the effect {@code f} makes of this effect's value, then succeeds with the same value: for logging,
     * metrics or any side step that must not change the result. A failure of the side step is the failure of
     * the whole; an exception {@code f} throws is a defect.
     *
     * {@snippet :
     * List<String> log = new CopyOnWriteArrayList<>();
     * Effect<String, Integer> answer = Effect.<String, Integer>succeed(42)
     *         .tap(n -> Effect.sync(() -> log.add("got " + n)));
     * int n = answer.runOrThrow(); // 42, and log holds "got 42"
     * }
     *
     * @param f makes the side step from the value
     * @return the effect
     * @throws NullPointerException if {@code f} is {@code null}
     */
    public final Effect<E, A> tap(Function<? super A, ? extends Effect<E, ?>> f) {
        Objects.requireNonNull(f, "Effect.tap: f must not be null");
        return new Node.FlatMap<>(this, a -> new Node.Map<>(
                Objects.requireNonNull(f.apply(a), "Effect.tap: f returned null"), ignored -> a));
    }

    /**
     * Runs the effect {@code f} makes of this effect's typed error, then fails with the same error: to log or
     * count failures without handling them. A failure of the side step replaces the original error; defects
     * and cancellation of this effect pass through without running {@code f}.
     *
     * {@snippet :
     * List<String> log = new CopyOnWriteArrayList<>();
     * Effect<String, Integer> logged = Effect.<String, Integer>fail("503")
     *         .tapError(e -> Effect.sync(() -> log.add("failed: " + e)));
     * Exit<String, Integer> exit = logged.run(); // Failure(503), and log holds "failed: 503"
     * }
     *
     * @param f makes the side step from the error
     * @return the effect
     * @throws NullPointerException if {@code f} is {@code null}
     */
    public final Effect<E, A> tapError(Function<? super E, ? extends Effect<E, ?>> f) {
        Objects.requireNonNull(f, "Effect.tapError: f must not be null");
        return new Node.Fold<E, E, A, A>(this, null, e -> new Node.FlatMap<>(
                Objects.requireNonNull(f.apply(e), "Effect.tapError: f returned null"),
                ignored -> new Node.Fail<>(e)), null);
    }

    /**
     * Transforms the typed error.
     *
     * @param f    the function
     * @param <E2> the new error type
     * @return the effect
     */
    public final <E2> Effect<E2, A> mapError(Function<? super E, ? extends E2> f) {
        Objects.requireNonNull(f, "Effect.mapError: f must not be null");
        return new Node.Fold<E, E2, A, A>(this, null, e -> new Node.Fail<>(
                Objects.requireNonNull(f.apply(e), "Effect.mapError: f returned null")), null);
    }

    /**
     * Recovers from a typed failure with the effect {@code handler} makes of the error. Defects and
     * cancellation are not caught.
     *
     * @param handler makes the recovery effect
     * @param <E2>    the new error type
     * @return the effect
     */
    public final <E2> Effect<E2, A> catchAll(Function<? super E, ? extends Effect<E2, A>> handler) {
        Objects.requireNonNull(handler, "Effect.catchAll: handler must not be null");
        if (CallSites.ENABLED) {
            CallSites.note(handler);
        }
        return new Node.Fold<E, E2, A, A>(this, null, handler, null);
    }

    /**
     * Recovers from a defect with the effect {@code handler} makes of the exception. Typed failures and
     * cancellation pass through. Use this at the edge of a program, to log or translate bugs.
     *
     * @param handler makes the recovery effect
     * @return the effect
     */
    public final Effect<E, A> catchDefect(Function<? super Throwable, ? extends Effect<E, A>> handler) {
        Objects.requireNonNull(handler, "Effect.catchDefect: handler must not be null");
        if (CallSites.ENABLED) {
            CallSites.note(handler);
        }
        return new Node.Fold<E, E, A, A>(this, null, null, handler);
    }

    /**
     * Handles both a typed failure and a success with plain functions; the result never fails with a typed
     * error (defects and cancellation pass through).
     *
     * @param onFailure maps the error
     * @param onSuccess maps the value
     * @param <E2>      the new error type
     * @param <B>       the result type
     * @return the effect
     */
    public final <E2, B> Effect<E2, B> fold(Function<? super E, ? extends B> onFailure,
                                            Function<? super A, ? extends B> onSuccess) {
        Objects.requireNonNull(onFailure, "Effect.fold: onFailure must not be null");
        Objects.requireNonNull(onSuccess, "Effect.fold: onSuccess must not be null");
        return new Node.Fold<E, E2, A, B>(this, a -> new Node.Succeed<>(onSuccess.apply(a)),
                e -> new Node.Succeed<>(onFailure.apply(e)), null);
    }

    /**
     * Handles both a typed failure and a success with effects.
     *
     * @param onFailure the effect for an error
     * @param onSuccess the effect for a value
     * @param <E2>      the new error type
     * @param <B>       the result type
     * @return the effect
     */
    public final <E2, B> Effect<E2, B> foldEffect(Function<? super E, ? extends Effect<E2, B>> onFailure,
                                                  Function<? super A, ? extends Effect<E2, B>> onSuccess) {
        Objects.requireNonNull(onFailure, "Effect.foldEffect: onFailure must not be null");
        Objects.requireNonNull(onSuccess, "Effect.foldEffect: onSuccess must not be null");
        if (CallSites.ENABLED) {
            CallSites.note(onSuccess);
        }
        return new Node.Fold<E, E2, A, B>(this, onSuccess, onFailure, null);
    }

    /**
     * Runs {@code finalizer} after this effect, whatever its outcome (success, failure, defect or
     * cancellation), exactly once and uncancellably; then ends with this effect's outcome. A failure of the
     * finalizer is never lost: after a success it becomes a defect, after a defect it is attached as
     * suppressed, after a typed failure or cancellation it goes to the runtime's error handler.
     *
     * <p>Blocks on whatever the finalizer blocks on. Because it is uncancellable, a finalizer that blocks
     * forever blocks everything that waits for this effect to end: the {@code Task.cancel()}, the scope,
     * the {@code timeoutWith} or the {@code EffectRuntime.close()} around it. That stays the caller's
     * responsibility: bound a finalizer that does I/O, for example with {@code timeoutWith} inside it.
     *
     * {@snippet :
     * Effect<String, String> work = Effect.<String, String>succeed("done")
     *         .ensuring(Effect.sync(() -> "released"));
     * }
     *
     * @param finalizer the effect to run at the end
     * @return the effect
     */
    public final Effect<E, A> ensuring(Effect<?, ?> finalizer) {
        Objects.requireNonNull(finalizer, "Effect.ensuring: finalizer must not be null");
        return new Node.Ensuring<>(this, exit -> finalizer);
    }

    /**
     * Runs {@code finalizer} with the outcome after this effect, whatever it is, like {@link #ensuring}.
     *
     * @param finalizer makes the finalizer from the outcome
     * @return the effect
     */
    public final Effect<E, A> onExit(Function<? super Exit<E, A>, ? extends Effect<?, ?>> finalizer) {
        Objects.requireNonNull(finalizer, "Effect.onExit: finalizer must not be null");
        if (CallSites.ENABLED) {
            CallSites.note(finalizer);
        }
        return new Node.Ensuring<>(this, finalizer);
    }

    /**
     * Runs {@code handler} (uncancellably) if this effect is cancelled; other outcomes pass through untouched.
     *
     * @param handler the effect to run on cancellation
     * @return the effect
     */
    public final Effect<E, A> onCancel(Effect<?, ?> handler) {
        Objects.requireNonNull(handler, "Effect.onCancel: handler must not be null");
        return new Node.Ensuring<>(this, exit -> exit instanceof Exit.Cancelled ? handler : null);
    }

    /**
     * This effect with cancellation deferred: a cancel requested while it runs takes effect when it ends.
     * Scopes, races and timeouts opened <em>inside</em> it still cancel their own parts.
     *
     * @return the effect
     */
    public final Effect<E, A> uncancellable() {
        return new Node.Mask<>(this);
    }

    /**
     * The outcome of this effect as a value; the result never fails. It yields whatever outcome the effect
     * ended with, {@link Exit.Cancelled} included (for example after joining a cancelled task), but it
     * cannot stop the cancellation of its own fiber: a cancelled fiber stays cancelled.
     *
     * @param <E2> the (unused) error type of the result
     * @return the effect
     */
    public final <E2> Effect<E2, Exit<E, A>> exit() {
        return new Node.CaptureExit<>(this);
    }

    /**
     * This effect on a fiber named {@code name}. As the effect of a new fiber ({@link Concurrency#spawn},
     * {@link Scope#spawn}, {@link EffectRuntime#run}, a branch of {@code par}/{@code race} run on a new fiber),
     * it names that fiber from its start: its virtual thread carries the name, and so do
     * {@linkplain EffectRuntime#dump() fiber dumps} and the {@link Task#name()} of its task. Run inside an
     * already running fiber, it renames that fiber while the effect runs and restores the previous name
     * afterwards, whatever the outcome.
     *
     * <p>Blocks on nothing of its own; cancellation and outcomes are those of this effect. Names need not be
     * unique.
     *
     * {@snippet :
     * Effect<String, Unit> worker = Concurrency.<String>sleep(1_000).named("worker-1");
     * Effect<String, Unit> main = Concurrency.scope(s -> s.spawn(worker).then(Effect.unit()));
     * }
     *
     * @param name the name; not blank
     * @return the effect
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public final Effect<E, A> named(String name) {
        Objects.requireNonNull(name, "Effect.named: name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("Effect.named: name must not be blank, was \"" + name + "\"");
        }
        return new Node.Prim<>(new Named<>(name, this));
    }

    // ------------------------------------------------------------------------------------------------------
    // Running

    /**
     * Runs this effect on a new root fiber of the {@linkplain EffectRuntime#defaultRuntime() default runtime} and
     * blocks the caller until it has ended and every fiber it started has terminated.
     *
     * <p>If the calling thread is interrupted, the root fiber is cancelled; this method returns once it has
     * terminated, and the caller's interrupt status is set again.
     *
     * @return the outcome
     */
    @CanIgnoreReturnValue
    public final Exit<E, A> run() {
        return EffectRuntime.defaultRuntime().run(this);
    }

    /**
     * Runs this effect like {@link #run()} and returns its value, or throws: {@link FailureException} for a
     * typed failure (or a checked defect), the defect itself if unchecked, {@link CancelledException} if
     * cancelled.
     *
     * @return the value
     */
    @CanIgnoreReturnValue
    public final A runOrThrow() {
        return run().getOrThrow();
    }

    /**
     * Starts this effect on a new root fiber of the {@linkplain EffectRuntime#defaultRuntime() default runtime}
     * and returns at once with a future of its outcome, for callers that speak {@link CompletableFuture}. See
     * {@link EffectRuntime#runAsync(Effect)}: a value completes the future, a typed failure completes it with a
     * {@link FailureException}, a defect with the defect itself, a cancellation cancels it; cancelling the
     * future cancels the fiber, whose finalizers then run.
     *
     * {@snippet :
     * CompletableFuture<String> legacy = Effect.<String, String>succeed("ok").runAsync();
     * legacy.thenAccept(System.out::println);
     * }
     *
     * @return the future of the outcome
     */
    public final CompletableFuture<A> runAsync() {
        return EffectRuntime.defaultRuntime().runAsync(this);
    }
}
