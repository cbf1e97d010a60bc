package aivi.concurrency;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How an effect ended: {@link Success} with a value, {@link Failure} with a typed error, {@link Defect} with
 * an unexpected {@link Throwable}, or {@link Cancelled}.
 *
 * <p>Typed failures are expected and recoverable ({@link Effect#catchAll}, {@link Concurrency#retry});
 * defects are bugs and are neither caught by {@code catchAll} nor retried; cancellation is neither.
 *
 * {@snippet :
 * Exit<String, Integer> exit = Effect.<String, Integer>fail("boom").run();
 * String text = switch (exit) {
 *     case Exit.Success<String, Integer>(var v) -> "value " + v;
 *     case Exit.Failure<String, Integer>(var e) -> "error " + e;
 *     case Exit.Defect<String, Integer>(var t) -> "bug " + t;
 *     case Exit.Cancelled<String, Integer>() -> "cancelled";
 * };
 * }
 *
 * @param <E> the typed error
 * @param <A> the value
 */
public sealed interface Exit<E, A> {

    /**
     * The effect succeeded.
     *
     * @param value the value (may be {@code null} if the effect produced {@code null})
     * @param <E>   the typed error
     * @param <A>   the value
     */
    record Success<E, A>(A value) implements Exit<E, A> {
    }

    /**
     * The effect failed with a typed error.
     *
     * @param error the error, never {@code null}
     * @param <E>   the typed error
     * @param <A>   the value
     */
    record Failure<E, A>(E error) implements Exit<E, A> {
        /**
         * Creates a failure.
         *
         * @param error the error
         * @throws NullPointerException if {@code error} is {@code null}
         */
        public Failure {
            Objects.requireNonNull(error, "Exit.Failure: error must not be null");
        }
    }

    /**
     * The effect died with an unexpected exception. The cause is the very exception that was thrown.
     *
     * @param cause the exception, never {@code null}
     * @param <E>   the typed error
     * @param <A>   the value
     */
    record Defect<E, A>(Throwable cause) implements Exit<E, A> {
        /**
         * Creates a defect.
         *
         * @param cause the exception
         * @throws NullPointerException if {@code cause} is {@code null}
         */
        public Defect {
            Objects.requireNonNull(cause, "Exit.Defect: cause must not be null");
        }
    }

    /**
     * The effect was cancelled before it completed.
     *
     * @param <E> the typed error
     * @param <A> the value
     */
    record Cancelled<E, A>() implements Exit<E, A> {
    }

    /**
     * Creates {@code Success(value)}.
     *
     * @param value the value
     * @param <E>   the typed error
     * @param <A>   the value
     * @return the exit
     */
    static <E, A> Exit<E, A> success(A value) {
        return new Success<>(value);
    }

    /**
     * Creates {@code Failure(error)}.
     *
     * @param error the error
     * @param <E>   the typed error
     * @param <A>   the value
     * @return the exit
     */
    static <E, A> Exit<E, A> failure(E error) {
        return new Failure<>(error);
    }

    /**
     * Creates {@code Defect(cause)}.
     *
     * @param cause the exception
     * @param <E>   the typed error
     * @param <A>   the value
     * @return the exit
     */
    static <E, A> Exit<E, A> defect(Throwable cause) {
        return new Defect<>(cause);
    }

    /**
     * Returns {@code Cancelled()}.
     *
     * @param <E> the typed error
     * @param <A> the value
     * @return the exit
     */
    static <E, A> Exit<E, A> cancelled() {
        return new Cancelled<>();
    }

    /**
     * Tells whether this is a {@link Success}.
     *
     * @return {@code true} for a success
     */
    default boolean isSuccess() {
        return this instanceof Success;
    }

    /**
     * Tells whether this is a {@link Failure} (a typed error).
     *
     * @return {@code true} for a typed failure
     */
    default boolean isFailure() {
        return this instanceof Failure;
    }

    /**
     * Tells whether this is a {@link Defect}.
     *
     * @return {@code true} for a defect
     */
    default boolean isDefect() {
        return this instanceof Defect;
    }

    /**
     * Tells whether this is {@link Cancelled}.
     *
     * @return {@code true} for a cancellation
     */
    default boolean isCancelled() {
        return this instanceof Cancelled;
    }

    /**
     * The value of a success.
     *
     * {@snippet :
     * Exit<String, Integer> exit = Exit.success(42);
     * int value = exit.getValue().orElse(0); // 42
     * }
     *
     * @return the value, or empty for any other outcome (and for a success whose value is {@code null})
     */
    default Optional<A> getValue() {
        return this instanceof Success<E, A> s ? Optional.ofNullable(s.value()) : Optional.empty();
    }

    /**
     * The typed error of a failure.
     *
     * {@snippet :
     * Exit<String, Integer> exit = Exit.failure("not found");
     * String error = exit.getError().orElse("none"); // "not found"
     * }
     *
     * @return the error, or empty for any other outcome
     */
    default Optional<E> getError() {
        return this instanceof Failure<E, A> f ? Optional.of(f.error()) : Optional.empty();
    }

    /**
     * The exception of a defect.
     *
     * @return the cause, or empty for any other outcome
     */
    default Optional<Throwable> getCause() {
        return this instanceof Defect<E, A> d ? Optional.of(d.cause()) : Optional.empty();
    }

    /**
     * The value of a success, or {@code fallback} for any other outcome.
     *
     * @param fallback the value for a failure, a defect or a cancellation
     * @return the value or the fallback
     */
    default A getOrElse(A fallback) {
        return this instanceof Success<E, A> s ? s.value() : fallback;
    }

    /**
     * Turns the outcome into a value, one function per case: the expression form of a {@code switch} over
     * the four records. A function that throws, throws out of {@code fold}.
     *
     * {@snippet :
     * Exit<String, Integer> exit = Effect.<String, Integer>fail("boom").run();
     * String text = exit.fold(
     *         value -> "value " + value,
     *         error -> "error " + error,
     *         defect -> "bug " + defect,
     *         () -> "cancelled"); // "error boom"
     * }
     *
     * @param onSuccess   maps the value of a success
     * @param onFailure   maps the error of a typed failure
     * @param onDefect    maps the exception of a defect
     * @param onCancelled makes the result for a cancellation
     * @param <R>         the result type
     * @return what the function for this outcome returned
     * @throws NullPointerException if a function is {@code null}
     */
    default <R> R fold(Function<? super A, ? extends R> onSuccess, Function<? super E, ? extends R> onFailure,
                       Function<? super Throwable, ? extends R> onDefect, Supplier<? extends R> onCancelled) {
        Objects.requireNonNull(onSuccess, "Exit.fold: onSuccess must not be null");
        Objects.requireNonNull(onFailure, "Exit.fold: onFailure must not be null");
        Objects.requireNonNull(onDefect, "Exit.fold: onDefect must not be null");
        Objects.requireNonNull(onCancelled, "Exit.fold: onCancelled must not be null");
        return switch (this) {
            case Success<E, A> s -> onSuccess.apply(s.value());
            case Failure<E, A> f -> onFailure.apply(f.error());
            case Defect<E, A> d -> onDefect.apply(d.cause());
            case Cancelled<E, A> c -> onCancelled.get();
        };
    }

    /**
     * Maps the error of a typed failure; other outcomes are returned unchanged.
     *
     * @param f    the function
     * @param <E2> the new error type
     * @return the mapped exit
     * @throws NullPointerException if {@code f} is {@code null}, or returns {@code null} for a failure
     */
    @SuppressWarnings("unchecked")
    default <E2> Exit<E2, A> mapError(Function<? super E, ? extends E2> f) {
        Objects.requireNonNull(f, "Exit.mapError: f must not be null");
        return this instanceof Failure<E, A> fl ? new Failure<>(f.apply(fl.error())) : (Exit<E2, A>) this;
    }

    /**
     * Maps the value of a success; other outcomes are returned unchanged.
     *
     * @param f   the function
     * @param <B> the new value type
     * @return the mapped exit
     */
    @SuppressWarnings("unchecked")
    default <B> Exit<E, B> map(Function<? super A, ? extends B> f) {
        return this instanceof Success<E, A> s ? new Success<>(f.apply(s.value())) : (Exit<E, B>) this;
    }

    /**
     * Returns the value of a success, or throws: a typed failure as {@link FailureException}, a defect as
     * itself (if unchecked) or wrapped in a {@link FailureException}... see {@link Effect#runOrThrow()} for
     * the exact rules.
     *
     * @return the value
     * @throws FailureException   for a typed failure, or a checked defect
     * @throws CancelledException for a cancellation
     * @throws RuntimeException   a defect that is a {@code RuntimeException}
     * @throws Error              a defect that is an {@code Error}
     */
    default A getOrThrow() {
        return switch (this) {
            case Success<E, A> s -> s.value();
            case Failure<E, A> f -> throw new FailureException(f.error());
            case Defect<E, A> d -> {
                if (d.cause() instanceof RuntimeException re) {
                    throw re;
                }
                if (d.cause() instanceof Error err) {
                    throw err;
                }
                throw new FailureException(d.cause());
            }
            case Cancelled<E, A> c -> throw new CancelledException("the effect was cancelled");
        };
    }
}
