package aivi.concurrency;

import java.util.Objects;

/**
 * An immutable pair of two values: AIVI's tuple {@code (A, B)}, as returned by
 * {@link Concurrency#par par} and {@link Concurrency#make() make}.
 *
 * {@snippet :
 * Pair<Integer, String> p = Pair.of(1, "one");
 * int n = p.first();
 * }
 *
 * @param first  the first value
 * @param second the second value
 * @param <A>    the type of the first value
 * @param <B>    the type of the second value
 */
public record Pair<A, B>(A first, B second) {

    /**
     * Creates a pair.
     *
     * @param first  the first value
     * @param second the second value
     * @param <A>    the type of the first value
     * @param <B>    the type of the second value
     * @return the pair {@code (first, second)}
     */
    public static <A, B> Pair<A, B> of(A first, B second) {
        return new Pair<>(first, second);
    }

    /**
     * Returns a pair with the two values swapped.
     *
     * @return {@code (second, first)}
     */
    public Pair<B, A> swap() {
        return new Pair<>(second, first);
    }

    @Override
    public String toString() {
        return "(" + first + ", " + second + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Pair<?, ?> p && Objects.equals(first, p.first) && Objects.equals(second, p.second);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(first) + Objects.hashCode(second);
    }
}
