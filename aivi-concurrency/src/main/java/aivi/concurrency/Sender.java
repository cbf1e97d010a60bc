package aivi.concurrency;

import com.google.errorprone.annotations.CheckReturnValue;

/**
 * The sending end of a channel made by {@link Concurrency#make() make} or
 * {@link Concurrency#makeBounded makeBounded}. Thread-safe; any number of fibers may send at once.
 *
 * {@snippet :
 * Effect<String, Unit> produce(Sender<Integer> out) {
 *     Effect<String, Unit> first = out.send(1); // assigned: its free error type is inferred
 *     return first.then(out.send(2)).then(out.close());
 * }
 * }
 *
 * @param <A> the type of values
 */
@CheckReturnValue
public sealed interface Sender<A> permits ChannelHandles.SenderHandle, BackendHandles.BackendSender {

    /**
     * Sends {@code value}; the same as {@link Concurrency#send(Sender, Object) Concurrency.send(this, value)}.
     *
     * <p>Blocks the fiber while the channel cannot take the value: on a rendezvous channel until a receiver
     * takes it, on a bounded channel while the buffer is full, never on an unbounded channel. Cancellable
     * while it waits; a cancelled send has not delivered its value. On a closed channel (or if the channel
     * closes while the send waits) the effect dies with a {@link ChannelClosedException} and the value was
     * not delivered.
     *
     * @param value the value; not {@code null}
     * @param <E>   the typed error
     * @return the effect
     * @throws NullPointerException if {@code value} is {@code null}
     */
    <E> Effect<E, Unit> send(A value);

    /**
     * Sends {@code value} like {@link #send}, but reports a closed channel as {@code Err(CLOSED)} instead of
     * dying. A value is never both delivered and reported as failed.
     *
     * @param value the value; not {@code null}
     * @param <E>   the typed error
     * @return the effect: {@code Ok(UNIT)} when delivered, {@code Err(CLOSED)} when not
     * @throws NullPointerException if {@code value} is {@code null}
     */
    <E> Effect<E, Result<ChannelError, Unit>> sendOrClosed(A value);

    /**
     * Sends {@code value} only if that needs no waiting (a receiver is waiting or the buffer has room).
     * A plain method, not an effect: usable from any thread, also outside fibers.
     *
     * @param value the value; not {@code null}
     * @return {@code Ok(true)} if delivered, {@code Ok(false)} if the channel is full (nothing happened),
     *         {@code Err(CLOSED)} if it is closed
     * @throws NullPointerException if {@code value} is {@code null}
     */
    Result<ChannelError, Boolean> trySend(A value);

    /**
     * Closes the channel; the same as {@link Concurrency#close(Sender) Concurrency.close(this)}. Idempotent.
     * Values already sent are still delivered; then every receive returns {@code Err(CLOSED)}. Every blocked
     * sender and receiver is woken.
     *
     * @param <E> the typed error
     * @return the effect
     */
    <E> Effect<E, Unit> close();

    /**
     * How many values are buffered in the channel right now (a snapshot); see {@link Receiver#size()}.
     *
     * {@snippet :
     * boolean backedUp(Sender<String> out) {
     *     return out.size() == out.capacity();
     * }
     * }
     *
     * @return the number of buffered values
     */
    int size();

    /**
     * The channel's capacity: 0 for a rendezvous channel, {@code n} for {@code makeBounded(n)},
     * {@link Integer#MAX_VALUE} for an unbounded channel ({@code make}).
     *
     * @return the capacity
     */
    int capacity();

    /**
     * Tells whether the channel has been closed.
     *
     * @return {@code true} once closed
     */
    boolean isClosed();
}
