package aivi.concurrency;

import java.io.Serial;

/**
 * The defect raised by {@link Concurrency#send send} on a closed channel, or by a {@code send} that was
 * blocked when the channel was closed. The value was not delivered. To get the closed channel as a value
 * instead, use {@link Concurrency#sendOrClosed sendOrClosed}.
 *
 * {@snippet :
 * Effect<String, String> offer(Sender<String> out) {
 *     return out.<String>send("job")
 *             .as("sent")
 *             .catchDefect(t -> t instanceof ChannelClosedException
 *                     ? Effect.succeed("closed, not sent")
 *                     : Effect.fromExit(Exit.defect(t)));
 * }
 * }
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
