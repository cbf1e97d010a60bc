package aivi.concurrency;

/**
 * A function of three arguments, used by {@link Concurrency#par(Effect, Effect, Effect, Function3)} to combine
 * three values of different types without nested {@link Pair}s.
 *
 * {@snippet :
 * Function3<String, Integer, Boolean, String> describe = (name, age, admin) -> name + " " + age + " " + admin;
 * }
 *
 * @param <A> the first argument
 * @param <B> the second argument
 * @param <C> the third argument
 * @param <R> the result
 */
@FunctionalInterface
public interface Function3<A, B, C, R> {
    /**
     * Applies the function.
     *
     * @param a the first argument
     * @param b the second argument
     * @param c the third argument
     * @return the result
     */
    R apply(A a, B b, C c);
}
