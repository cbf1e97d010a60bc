package aivi.concurrency.internal.channel;

import java.util.Objects;

/**
 * One clause of a {@link Select}: receive from a channel, or send a value to one. Immutable; a clause
 * may be reused in several selects.
 *
 * @param <A> the channel's value type
 */
public final class SelectClause<A> {

    final Channel<A> channel;
    /** The value to send, or null for a receive clause. */
    final Object value;

    private SelectClause(Channel<A> channel, Object value) {
        this.channel = channel;
        this.value = value;
    }

    /**
     * A clause that receives from {@code channel}. It commits with a value, or with "closed" once the
     * channel is closed and drained.
     *
     * @param channel the channel, not null
     * @param <A>     the value type
     * @return the clause
     * @throws NullPointerException if {@code channel} is null
     */
    public static <A> SelectClause<A> receive(Channel<A> channel) {
        return new SelectClause<>(Objects.requireNonNull(channel, "receive: channel must not be null"), null);
    }

    /**
     * A clause that sends {@code value} to {@code channel}. It commits when the value is delivered, or
     * with "closed" if the channel is closed (the value is then not delivered).
     *
     * @param channel the channel, not null
     * @param value   the value, not null
     * @param <A>     the value type
     * @return the clause
     * @throws NullPointerException if an argument is null
     */
    public static <A> SelectClause<A> send(Channel<A> channel, A value) {
        Objects.requireNonNull(channel, "send: channel must not be null");
        Objects.requireNonNull(value, "send: value must not be null");
        return new SelectClause<>(channel, value);
    }

    /**
     * Whether this clause sends.
     *
     * @return true for a send clause, false for a receive clause
     */
    public boolean isSend() {
        return value != null;
    }

    /**
     * The channel of this clause.
     *
     * @return the channel
     */
    public Channel<A> channel() {
        return channel;
    }
}
