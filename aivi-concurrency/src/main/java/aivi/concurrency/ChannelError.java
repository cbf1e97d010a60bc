package aivi.concurrency;

/**
 * Why a channel operation did not transfer a value (AIVI's {@code ChannelError = Closed}).
 *
 * {@snippet :
 * Effect<String, String> describe(Receiver<String> in) {
 *     return in.<String>recv().map(r -> switch (r) {
 *         case Result.Ok<ChannelError, String>(var v) -> "got " + v;
 *         case Result.Err<ChannelError, String>(var e) -> e == ChannelError.CLOSED ? "closed" : "?";
 *     });
 * }
 * }
 */
public enum ChannelError {
    /** The channel was closed: no more values will be sent, and every buffered value was received. */
    CLOSED
}
