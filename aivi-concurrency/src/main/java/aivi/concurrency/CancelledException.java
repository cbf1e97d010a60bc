package aivi.concurrency;

import java.io.Serial;

/**
 * Thrown by {@link Effect#runOrThrow()} when the effect was cancelled, and inside direct-style code
 * ({@link Effect#gen}) to unwind a cancelled fiber. It is a control signal, not an error: code that catches
 * it should let it propagate.
 */
public final class CancelledException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was cancelled
     */
    public CancelledException(String message) {
        super(message);
    }
}
