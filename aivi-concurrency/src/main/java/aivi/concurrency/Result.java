package aivi.concurrency;

import java.util.Objects;
import java.util.function.Function;

/**
 * The outcome of an operation that can fail in an expected way: {@link Ok} with a value or {@link Err}
 * with an error (AIVI's {@code Result ChannelError A}). Neither component is ever {@code null}.
 *
 * {@snippet :
 * Result<ChannelError, Integer> r = Result.ok(42);
 * String text = switch (r) {
 *     case Result.Ok<ChannelError, Integer>(var v) -> "got " + v;
 *     case Result.Err<ChannelError, Integer>(var e) -> "channel " + e;
 * };
 * }
 *
 * @param <E> the error type
 * @param <A> the value type
 */
public sealed interface Result<E, A> {

    /**
     * A successful result.
     *
     * @param value the value, never {@code null}
     * @param <E>   the error type
     * @param <A>   the value type
     */
    record Ok<E, A>(A value) implements Result<E, A> {
        /**
         * Creates a successful result.
         *
         * @param value the value
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Ok {
            Objects.requireNonNull(value, "Result.Ok: value must not be null");
        }
    }

    /**
     * A failed result.
     *
     * @param error the error, never {@code null}
     * @param <E>   the error type
     * @param <A>   the value type
     */
    record Err<E, A>(E error) implements Result<E, A> {
        /**
         * Creates a failed result.
         *
         * @param error the error
         * @throws NullPointerException if {@code error} is {@code null}
         */
        public Err {
            Objects.requireNonNull(error, "Result.Err: error must not be null");
        }
    }

    /**
     * Creates {@code Ok(value)}.
     *
     * @param value the value
     * @param <E>   the error type
     * @param <A>   the value type
     * @return the result
     */
    static <E, A> Result<E, A> ok(A value) {
        return new Ok<>(value);
    }

    /**
     * Creates {@code Err(error)}.
     *
     * @param error the error
     * @param <E>   the error type
     * @param <A>   the value type
     * @return the result
     */
    static <E, A> Result<E, A> err(E error) {
        return new Err<>(error);
    }

    /**
     * Tells whether this is an {@link Ok}.
     *
     * @return {@code true} for {@code Ok}
     */
    default boolean isOk() {
        return this instanceof Ok;
    }

    /**
     * Maps the value of an {@code Ok}; an {@code Err} is returned unchanged.
     *
     * @param f   the function
     * @param <B> the new value type
     * @return the mapped result
     */
    default <B> Result<E, B> map(Function<? super A, ? extends B> f) {
        return switch (this) {
            case Ok<E, A> ok -> new Ok<>(f.apply(ok.value()));
            case Err<E, A> err -> new Err<>(err.error());
        };
    }

    /**
     * Returns the value of an {@code Ok}, or {@code other} for an {@code Err}.
     *
     * @param other the fallback
     * @return the value or the fallback
     */
    default A orElse(A other) {
        return this instanceof Ok<E, A> ok ? ok.value() : other;
    }
}
