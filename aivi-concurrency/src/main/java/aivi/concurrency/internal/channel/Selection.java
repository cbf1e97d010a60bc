package aivi.concurrency.internal.channel;

/**
 * The outcome of a {@link Select}: which clause committed and how, or that the default or the timeout
 * was taken.
 */
public sealed interface Selection {

    /**
     * Receive clause {@code clause} took {@code value}.
     *
     * @param clause the index of the clause in the list passed to select
     * @param value  the value received (cast it to the clause's channel type)
     */
    record Received(int clause, Object value) implements Selection {
    }

    /**
     * Send clause {@code clause} delivered its value.
     *
     * @param clause the index of the clause
     */
    record Sent(int clause) implements Selection {
    }

    /**
     * Clause {@code clause}'s channel is closed: for a receive clause, closed and drained; for a send
     * clause, closed (the value was not delivered).
     *
     * @param clause the index of the clause
     */
    record Closed(int clause) implements Selection {
    }

    /** No clause could commit at once and a default was given. */
    record Default() implements Selection {
    }

    /** No clause committed before the deadline. */
    record TimedOut() implements Selection {
    }
}
