package aivi.concurrency;

import com.google.errorprone.annotations.CheckReturnValue;

import java.util.Optional;

/**
 * A handle to an effect running on its own fiber, returned by {@link Concurrency#spawn spawn} and
 * {@link Scope#spawn}.
 *
 * {@snippet :
 * Effect<String, Integer> job = Effect.succeed(21);
 * Effect<String, Integer> program = Concurrency.spawn(job)
 *         .flatMap(task -> task.join())
 *         .map(n -> n * 2);
 * }
 *
 * @param <E> the task's typed error
 * @param <A> the task's value
 */
@CheckReturnValue
public sealed interface Task<E, A> permits FiberTask {

    /**
     * Waits for the task and ends the same way: its value, its typed failure, its defect; joining a
     * cancelled task ends the joiner as cancelled. It can be joined any number of times and always gives
     * the same settled outcome. The wait is cancellable (cancelling the joiner does not cancel the task).
     * A task that joins itself fails with an {@link IllegalStateException} defect instead of waiting forever.
     *
     * <p><b>After the task's scope ended.</b> A scope cancels the children still running when its body ends.
     * A task handle that outlives its scope (returned from the scope's body, say) therefore usually belongs
     * to a cancelled task, and joining it ends the joiner as cancelled, exactly as joining any cancelled
     * task does; inside a {@code run()} that means the whole run ends {@code Cancelled}. To keep a result
     * beyond the scope, join inside the body ({@code s.spawn(e).flatMap(Task::join)}) and return the
     * value; to inspect a task without being cancelled by it, use {@link #await()} (it yields
     * {@link Exit.Cancelled}) or {@link #poll()}.
     *
     * {@snippet :
     * Effect<String, Integer> inside = Concurrency.scope(s -> s.spawn(Effect.<String, Integer>succeed(1))
     *         .flatMap(Task::join)); // joined while the scope runs: 1
     * }
     *
     * @return the effect
     */
    Effect<E, A> join();

    /**
     * Waits for the task and yields its outcome as a value; never fails.
     *
     * @param <X> the (unused) error type of the result
     * @return the effect
     */
    <X> Effect<X, Exit<E, A>> await();

    /**
     * Cancels the task and waits until it has terminated and its finalizers ran. Idempotent; cancelling a
     * task that has finished changes nothing. A task cancelled this way does not fail its scope.
     *
     * <p>Blocks until the task has terminated, which includes its finalizers: a finalizer that blocks
     * forever, or task code that swallows the interrupt by which cancellation wakes it and carries on
     * without reaching a library step, keeps this waiting; that stays the caller's responsibility. The wait
     * is cancellable: if the caller is cancelled meanwhile it stops waiting and ends cancelled (the task is
     * still cancelled, and still awaited by its own scope). Called by the task on its own handle, or by a
     * fiber that runs inside the task (its child, a branch it started), it requests the cancellation and
     * returns at once, since the task cannot terminate before the caller; the caller is then cancelled
     * with the task at its next cancellation point.
     *
     * {@snippet :
     * Effect<String, Boolean> cancelled = Concurrency.<String, Unit>spawn(Effect.never())
     *         .flatMap(task -> task.<String>cancel().then(task.<String>isCancelled())); // true
     * }
     *
     * @param <X> the (unused) error type of the result
     * @return the effect
     */
    <X> Effect<X, Unit> cancel();

    /**
     * Tells whether cancellation reached the task before it completed.
     *
     * @param <X> the (unused) error type of the result
     * @return the effect
     */
    <X> Effect<X, Boolean> isCancelled();

    /**
     * Returns the outcome if the task has terminated, without waiting.
     *
     * @return the outcome, or empty while the task runs
     */
    Optional<Exit<E, A>> poll();

    /**
     * Returns the name of the task's fiber (its virtual thread's name).
     *
     * @return the name
     */
    String name();
}
