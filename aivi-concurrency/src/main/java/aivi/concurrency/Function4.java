package aivi.concurrency;

/**
 * A function of four arguments, used by {@link Concurrency#par(Effect, Effect, Effect, Effect, Function4)} to
 * combine four values of different types without nested {@link Pair}s.
 *
 * {@snippet :
 * Function4<String, Integer, Boolean, Long, String> describe = (a, b, c, d) -> a + b + c + d;
 * }
 *
 * @param <A> the first argument
 * @param <B> the second argument
 * @param <C> the third argument
 * @param <D> the fourth argument
 * @param <R> the result
 */
@FunctionalInterface
public interface Function4<A, B, C, D, R> {
    /**
     * Applies the function.
     *
     * @param a the first argument
     * @param b the second argument
     * @param c the third argument
     * @param d the fourth argument
     * @return the result
     */
    R apply(A a, B b, C c, D d);
}
