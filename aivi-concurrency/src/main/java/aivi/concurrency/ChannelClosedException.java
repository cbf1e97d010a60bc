package aivi.concurrency;

import java.io.Serial;

/**
 * The defect raised by {@link Concurrency#send send} on a closed channel, or by a {@code send} that was
 * blocked when the channel was closed. The value was not delivered.
 */
public final class ChannelClosedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was rejected
     */
    public ChannelClosedException(String message) {
        super(message);
    }
}
