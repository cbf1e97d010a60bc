package aivi.concurrency.internal.spi;

import aivi.concurrency.ChannelError;
import aivi.concurrency.Result;
import java.util.Optional;

/**
 * A channel implemented outside the core (for example on a distributed queue), exposed to users through the
 * library's own {@code Sender} and {@code Receiver} (see {@link ChannelBackends#open}). Not part of the public
 * API: this package is exported only to the library's integration modules.
 *
 * <p>The contract mirrors the in-memory engine's, so that the handles can bridge it to fibers the same way:
 * a blocking method throws {@link InterruptedException} only when nothing was transferred, and returns
 * normally when a transfer committed even if an interrupt arrived meanwhile (the interrupt status is then
 * set again). A backend that cannot take part in a {@code select} is refused by {@code Clause} with a clear
 * error.
 *
 * @param <A> the type of values
 */
public interface ChannelBackend<A> {

    /**
     * Sends {@code value}, blocking while the channel is full.
     *
     * @param value the value, not {@code null}
     * @return {@code true} if delivered, {@code false} if the channel is (or became) closed and the value was
     *         not delivered
     * @throws InterruptedException if interrupted while waiting; nothing was delivered
     */
    boolean send(A value) throws InterruptedException;

    /**
     * Sends {@code value} only if that needs no waiting.
     *
     * @param value the value, not {@code null}
     * @return {@code Ok(true)} if delivered, {@code Ok(false)} if full, {@code Err(CLOSED)} if closed
     */
    Result<ChannelError, Boolean> trySend(A value);

    /**
     * Receives the next value, blocking until there is one or the channel is closed and drained.
     *
     * @return the value, or {@code null} once the channel is closed and drained
     * @throws InterruptedException if interrupted while waiting; nothing was consumed
     */
    A receive() throws InterruptedException;

    /**
     * Receives a value only if one is available without waiting.
     *
     * @return {@code Ok(value)}, {@code Err(CLOSED)} if closed and drained, or empty
     */
    Optional<Result<ChannelError, A>> tryReceive();

    /** Closes the channel; idempotent. Values already sent are still delivered. */
    void close();

    /**
     * Tells whether the channel is closed for sending.
     *
     * @return {@code true} once closed
     */
    boolean isClosed();

    /**
     * Why this channel cannot take part in a {@code select}, for the error message.
     *
     * @return a sentence naming the channel
     */
    String whyNoSelect();

    /**
     * How many values are buffered right now (a snapshot), between 0 and {@link #capacity()}.
     *
     * @return the number of buffered values
     */
    int size();

    /**
     * The capacity: 0 for a rendezvous channel, {@code n} for a channel buffering {@code n} values,
     * {@link Integer#MAX_VALUE} for an unbounded one.
     *
     * @return the capacity
     */
    int capacity();
}
