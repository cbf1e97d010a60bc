package aivi.concurrency;

import java.util.Objects;

/**
 * A value local to a fiber, inherited by the fibers it starts: the fiber-world counterpart of an
 * {@code InheritableThreadLocal}, for request-scoped data that effects (not plain Java code) read.
 *
 * <p>A fiber started by {@code spawn}, {@code Scope.spawn}, {@code spawnDetached}, {@code par}, {@code race}
 * or any other combinator starts with a copy of the starting fiber's values, taken at the moment it is
 * started; a root fiber (of {@code run}) starts with every local at its initial value. A fiber's
 * {@link #set} is seen by that fiber only: never by its parent, its siblings or the children it already
 * started. The branch of {@code par}/{@code race} that runs on the calling fiber reads the caller's values,
 * and what it sets is undone when the {@code par}/{@code race} returns, as for the branches on new fibers.
 *
 * <p>Reading and writing are effects, so they need a fiber; for plain Java code that reads thread-locals
 * (loggers, tracing) use a {@link ContextPropagator} instead.
 *
 * {@snippet :
 * FiberLocal<String> user = FiberLocal.of("anonymous");
 * Effect<String, Pair<String, String>> both = Concurrency.par(user.get(), user.get()); // two fibers
 * Effect<String, String> who = user.locally("ada", both).map(p -> p.first() + "," + p.second());
 * String seen = who.runOrThrow(); // "ada,ada"
 * }
 *
 * <p>Values are kept in an immutable per-fiber map that a new fiber shares with its parent until one of them
 * sets a value, so starting a fiber copies one reference.
 *
 * @param <T> the value type
 */
public final class FiberLocal<T> {

    private final T initial;

    private FiberLocal(T initial) {
        this.initial = initial;
    }

    /**
     * A new fiber-local whose value is {@code initial} in every fiber that has not set it.
     *
     * {@snippet :
     * FiberLocal<Integer> depth = FiberLocal.of(0);
     * }
     *
     * @param initial the initial value (may be {@code null})
     * @param <T>     the value type
     * @return the fiber-local
     */
    public static <T> FiberLocal<T> of(T initial) {
        return new FiberLocal<>(initial);
    }

    /**
     * The current fiber's value. Never blocks.
     *
     * {@snippet :
     * FiberLocal<String> user = FiberLocal.of("anonymous");
     * String name = user.<String>get().runOrThrow(); // "anonymous"
     * }
     *
     * @param <E> the typed error
     * @return the effect
     */
    @SuppressWarnings("unchecked")
    public <E> Effect<E, T> get() {
        return new Node.Prim<>(fiber -> Exit.success((T) FiberLocals.get(fiber.locals, this, initial)));
    }

    /**
     * Sets the current fiber's value; fibers started afterwards inherit it. Never blocks.
     *
     * {@snippet :
     * FiberLocal<String> user = FiberLocal.of("anonymous");
     * Effect<String, String> e = user.<String>set("ada").then(user.get()); // "ada"
     * }
     *
     * @param value the value (may be {@code null})
     * @param <E>   the typed error
     * @return the effect
     */
    public <E> Effect<E, Unit> set(T value) {
        return new Node.Prim<>(fiber -> {
            fiber.locals = FiberLocals.with(fiber.locals, this, value);
            return Exit.success(Unit.UNIT);
        });
    }

    /**
     * Runs {@code effect} with this local bound to {@code value} on the current fiber, then restores the value
     * it had before, whatever the outcome (success, failure, defect or cancellation). Fibers {@code effect}
     * starts inherit {@code value}.
     *
     * {@snippet :
     * FiberLocal<String> user = FiberLocal.of("anonymous");
     * Effect<String, String> inside = user.get();
     * Effect<String, String> e = user.locally("ada", inside).then(user.get()); // "anonymous"
     * }
     *
     * @param value  the value while {@code effect} runs
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the effect
     * @throws NullPointerException if {@code effect} is {@code null}
     */
    public <E, A> Effect<E, A> locally(T value, Effect<E, A> effect) {
        Objects.requireNonNull(effect, "FiberLocal.locally: effect must not be null");
        Effect<E, Object[]> enter = new Node.Prim<>(fiber -> {
            Object[] before = fiber.locals;
            fiber.locals = FiberLocals.with(before, this, value);
            return Exit.success(before);
        });
        return enter.flatMap(before -> effect.onExit(exit -> new Node.Prim<>(fiber -> {
            fiber.locals = FiberLocals.restore(fiber.locals, this, before);
            return Exit.success(Unit.UNIT);
        })));
    }

    @Override
    public String toString() {
        return "FiberLocal[initial=" + initial + "]";
    }
}
