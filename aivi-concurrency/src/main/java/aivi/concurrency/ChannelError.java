package aivi.concurrency;

/**
 * Why a channel operation did not transfer a value (the seed's {@code ChannelError = Closed}).
 */
public enum ChannelError {
    /** The channel was closed: no more values will be sent, and every buffered value was received. */
    CLOSED
}
