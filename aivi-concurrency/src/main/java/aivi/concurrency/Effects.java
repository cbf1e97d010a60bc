package aivi.concurrency;

import com.google.errorprone.annotations.CheckReturnValue;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The entry points of {@link Effect} and {@link Concurrency} with the error type fixed once, so chains need
 * no type witnesses.
 *
 * <p>Java infers {@code E = Object} for a generic static call used as the receiver of a chain:
 * {@code Concurrency.sleep(50).as("x")} is an {@code Effect<Object, String>}. Through an {@code Effects<E>}
 * the error type is already known:
 *
 * {@snippet :
 * Effects<String> fx = Effects.of(String.class);
 * Effect<String, String> x = fx.sleep(50).as("x");
 * Effect<String, Integer> n = fx.succeed(1).flatMap(i -> fx.fail("too small"));
 * }
 *
 * <p>Instances are immutable and stateless; {@link #of(Class)} and {@link #typed()} return the same kind of
 * object, the class argument only fixes {@code E} for the compiler.
 *
 * @param <E> the typed error of every effect made here
 */
@CheckReturnValue
public final class Effects<E> {
    private static final Effects<?> INSTANCE = new Effects<>();

    private Effects() {
    }

    /**
     * Returns the entry points for the error type {@code errorType}.
     *
     * @param errorType the error class (only for type inference)
     * @param <E>       the typed error
     * @return the entry points
     */
    @SuppressWarnings("unchecked")
    public static <E> Effects<E> of(Class<E> errorType) {
        Objects.requireNonNull(errorType, "Effects.of: errorType must not be null");
        return (Effects<E>) INSTANCE;
    }

    /**
     * Returns the entry points for an error type given by the target: {@code Effects<ApiError> fx =
     * Effects.typed();} (useful for generic error types such as {@code List<String>}).
     *
     * @param <E> the typed error
     * @return the entry points
     */
    @SuppressWarnings("unchecked")
    public static <E> Effects<E> typed() {
        return (Effects<E>) INSTANCE;
    }

    /**
     * See {@link Effect#succeed}.
     *
     * @param value the value
     * @param <A>   the value type
     * @return the effect
     */
    public <A> Effect<E, A> succeed(A value) {
        return Effect.succeed(value);
    }

    /**
     * See {@link Effect#fail}.
     *
     * @param error the error
     * @param <A>   the value type
     * @return the effect
     */
    public <A> Effect<E, A> fail(E error) {
        return Effect.fail(error);
    }

    /**
     * See {@link Effect#unit()}.
     *
     * @return the effect
     */
    public Effect<E, Unit> unit() {
        return Effect.unit();
    }

    /**
     * See {@link Effect#sync}.
     *
     * @param thunk the code
     * @param <A>   the value type
     * @return the effect
     */
    public <A> Effect<E, A> sync(Supplier<? extends A> thunk) {
        return Effect.sync(thunk);
    }

    /**
     * See {@link Effect#attempt}.
     *
     * @param thunk       the code
     * @param onException maps an exception to the typed error
     * @param <A>         the value type
     * @return the effect
     */
    public <A> Effect<E, A> attempt(Callable<? extends A> thunk, Function<? super Exception, ? extends E> onException) {
        return Effect.attempt(thunk, onException);
    }

    /**
     * See {@link Effect#gen}.
     *
     * @param body the block
     * @param <A>  the value type
     * @return the effect
     */
    public <A> Effect<E, A> gen(Effect.Body<E, A> body) {
        return Effect.gen(body);
    }

    /**
     * See {@link Effect#never()}.
     *
     * @param <A> the value type
     * @return the effect
     */
    public <A> Effect<E, A> never() {
        return Effect.never();
    }

    /**
     * See {@link Concurrency#sleep(long)}.
     *
     * @param millis how long
     * @return the effect
     */
    public Effect<E, Unit> sleep(long millis) {
        return Concurrency.sleep(millis);
    }

    /**
     * See {@link Concurrency#sleep(java.time.Duration)}.
     *
     * {@snippet :
     * Effects<String> fx = Effects.of(String.class);
     * Effect<String, String> later = fx.sleep(Duration.ofMillis(50)).as("later");
     * }
     *
     * @param duration how long
     * @return the effect
     */
    public Effect<E, Unit> sleep(java.time.Duration duration) {
        return Concurrency.sleep(duration);
    }

    /**
     * See {@link Concurrency#par}.
     *
     * @param left  the first effect
     * @param right the second effect
     * @param <A>   the first value type
     * @param <B>   the second value type
     * @return the effect
     */
    public <A, B> Effect<E, Pair<A, B>> par(Effect<E, A> left, Effect<E, B> right) {
        return Concurrency.par(left, right);
    }

    /**
     * See {@link Concurrency#race}.
     *
     * @param left  the first effect
     * @param right the second effect
     * @param <A>   the value type
     * @return the effect
     */
    public <A> Effect<E, A> race(Effect<E, A> left, Effect<E, A> right) {
        return Concurrency.race(left, right);
    }

    /**
     * See {@link Concurrency#scope}.
     *
     * @param run builds the body
     * @param <A> the value type
     * @return the effect
     */
    public <A> Effect<E, A> scope(Function<Scope, Effect<E, A>> run) {
        return Concurrency.scope(run);
    }

    /**
     * See {@link Concurrency#spawn}.
     *
     * @param effect the effect to start
     * @param <A>    the value type
     * @return the effect
     */
    public <A> Effect<E, Task<E, A>> spawn(Effect<E, A> effect) {
        return Concurrency.spawn(effect);
    }

    /**
     * See {@link Concurrency#timeoutWith(long, Object, Effect)}.
     *
     * @param millis       the limit
     * @param timeoutError the error on timeout
     * @param effect       the effect
     * @param <A>          the value type
     * @return the effect
     */
    public <A> Effect<E, A> timeoutWith(long millis, E timeoutError, Effect<E, A> effect) {
        return Concurrency.timeoutWith(millis, timeoutError, effect);
    }

    /**
     * See {@link Concurrency#timeoutWith(java.time.Duration, Object, Effect)}.
     *
     * {@snippet :
     * Effects<String> fx = Effects.of(String.class);
     * Effect<String, Integer> nine = fx.timeoutWith(Duration.ofMillis(100), "timeout", fx.succeed(9)).map(n -> n);
     * }
     *
     * @param limit        the limit
     * @param timeoutError the error on timeout
     * @param effect       the effect
     * @param <A>          the value type
     * @return the effect
     */
    public <A> Effect<E, A> timeoutWith(java.time.Duration limit, E timeoutError, Effect<E, A> effect) {
        return Concurrency.timeoutWith(limit, timeoutError, effect);
    }

    /**
     * See {@link Concurrency#retry(int, Effect)}.
     *
     * @param attempts the total number of runs
     * @param effect   the effect
     * @param <A>      the value type
     * @return the effect
     */
    public <A> Effect<E, A> retry(int attempts, Effect<E, A> effect) {
        return Concurrency.retry(attempts, effect);
    }

    /**
     * See {@link Concurrency#retry(Schedule, Effect)}.
     *
     * @param schedule when and how often to retry
     * @param effect   the effect
     * @param <A>      the value type
     * @return the effect
     */
    public <A> Effect<E, A> retry(Schedule<? super E> schedule, Effect<E, A> effect) {
        return Concurrency.retry(schedule, effect);
    }

    /**
     * See {@link Concurrency#make()}.
     *
     * @param <A> the type of values
     * @return the effect
     */
    public <A> Effect<E, Pair<Sender<A>, Receiver<A>>> make() {
        return Concurrency.make();
    }

    /**
     * See {@link Concurrency#makeBounded}.
     *
     * @param capacity the buffer size
     * @param <A>      the type of values
     * @return the effect
     */
    public <A> Effect<E, Pair<Sender<A>, Receiver<A>>> makeBounded(int capacity) {
        return Concurrency.makeBounded(capacity);
    }

    /**
     * See {@link Concurrency#send}.
     *
     * @param sender the sending end
     * @param value  the value
     * @param <A>    the type of values
     * @return the effect
     */
    public <A> Effect<E, Unit> send(Sender<A> sender, A value) {
        return Concurrency.send(sender, value);
    }

    /**
     * See {@link Concurrency#recv}.
     *
     * @param receiver the receiving end
     * @param <A>      the type of values
     * @return the effect
     */
    public <A> Effect<E, Result<ChannelError, A>> recv(Receiver<A> receiver) {
        return Concurrency.recv(receiver);
    }

    /**
     * See {@link Concurrency#close}.
     *
     * @param sender the sending end
     * @param <A>    the type of values
     * @return the effect
     */
    public <A> Effect<E, Unit> close(Sender<A> sender) {
        return Concurrency.close(sender);
    }

    /**
     * {@link Effect#exit()} with this error type: {@code fx.exit(job).map(...)} needs no witness, where
     * {@code job.exit().map(...)} would infer {@code Object}.
     *
     * {@snippet :
     * Effects<String> fx = Effects.of(String.class);
     * Effect<String, String> report = fx.exit(Effect.<String, Integer>fail("boom")).map(Exit::toString);
     * }
     *
     * @param effect the effect whose outcome to capture
     * @param <E2>   its error type
     * @param <A>    its value type
     * @return the effect; it never fails
     */
    public <E2, A> Effect<E, Exit<E2, A>> exit(Effect<E2, A> effect) {
        return Objects.requireNonNull(effect, "Effects.exit: effect must not be null").exit();
    }

    /**
     * {@link Task#await()} with this error type.
     *
     * {@snippet :
     * Effects<String> fx = Effects.of(String.class);
     * Effect<String, String> outcome = fx.spawn(fx.succeed(1)).flatMap(t -> fx.await(t).map(Exit::toString));
     * }
     *
     * @param task the task
     * @param <E2> its error type
     * @param <A>  its value type
     * @return the effect; it never fails
     */
    public <E2, A> Effect<E, Exit<E2, A>> await(Task<E2, A> task) {
        return Objects.requireNonNull(task, "Effects.await: task must not be null").await();
    }

    /**
     * {@link Task#cancel()} with this error type.
     *
     * {@snippet :
     * Effects<String> fx = Effects.of(String.class);
     * Effect<String, String> stopped = fx.spawn(fx.never()).flatMap(t -> fx.cancel(t).as("stopped"));
     * }
     *
     * @param task the task
     * @return the effect
     */
    public Effect<E, Unit> cancel(Task<?, ?> task) {
        return Objects.requireNonNull(task, "Effects.cancel: task must not be null").cancel();
    }

    /**
     * {@link Effect#fold} with this error type.
     *
     * {@snippet :
     * Effects<String> fx = Effects.of(String.class);
     * Effect<String, Integer> length = fx.fold(Effect.<Integer, String>fail(404), e -> "error " + e, v -> v)
     *         .map(String::length);
     * }
     *
     * @param effect    the effect
     * @param onFailure maps its error
     * @param onSuccess maps its value
     * @param <E2>      its error type
     * @param <A>       its value type
     * @param <B>       the result type
     * @return the effect; it never fails with a typed error
     */
    public <E2, A, B> Effect<E, B> fold(Effect<E2, A> effect, Function<? super E2, ? extends B> onFailure,
                                        Function<? super A, ? extends B> onSuccess) {
        return Objects.requireNonNull(effect, "Effects.fold: effect must not be null").fold(onFailure, onSuccess);
    }
}
