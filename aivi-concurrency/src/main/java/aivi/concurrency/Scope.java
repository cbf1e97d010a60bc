package aivi.concurrency;

import com.google.errorprone.annotations.CheckReturnValue;

/**
 * The handle of a structured-concurrency scope, passed to the body of {@link Concurrency#scope scope}.
 * Children spawned through it run on their own fibers and never outlive the scope:
 * <ul>
 *   <li>when the body ends, children still running are cancelled, and the scope returns only after all of
 *       them have terminated (use {@link #joinAll()} first to wait for them instead);</li>
 *   <li>when a child fails or dies, the body and the other children are cancelled and the scope fails with
 *       that first error once everything has terminated (a child cancelled through its own {@link Task}
 *       does not fail the scope);</li>
 *   <li>when the fiber running the scope is cancelled, body and children are cancelled and awaited.</li>
 * </ul>
 *
 * {@snippet :
 * Effect<String, Integer> both = Concurrency.scope(s ->
 *         s.spawn(Effect.<String, Integer>succeed(1)).flatMap(t1 ->
 *         s.spawn(Effect.<String, Integer>succeed(2)).flatMap(t2 ->
 *         t1.join().flatMap(a -> t2.join().map(b -> a + b)))));
 * }
 *
 * <p>A child's typed failure becomes the scope's failure, so children should share the scope's error type;
 * to handle a child's error yourself, spawn {@code effect.exit()}.
 */
@CheckReturnValue
public sealed interface Scope permits ScopeImpl {

    /**
     * Starts {@code effect} on a new fiber that is a child of this scope.
     *
     * @param effect the child's effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return an effect that starts the child and yields its task handle; it dies with
     *         {@link IllegalStateException} if this scope has already ended
     */
    <E, A> Effect<E, Task<E, A>> spawn(Effect<E, A> effect);

    /**
     * Waits until every child spawned so far (and any they add meanwhile) has terminated. Fail-fast: if a
     * child fails, the scope cancels the body, so this wait ends cancelled and the scope fails with the
     * child's error.
     *
     * @param <E> the typed error
     * @return the effect
     */
    <E> Effect<E, Unit> joinAll();

    /**
     * Returns the number of children that have not terminated yet.
     *
     * @return the count at the time of the call
     */
    int activeChildren();
}
