package aivi.concurrency;

import java.io.Serial;

/**
 * Thrown by {@link Effect#runOrThrow()} (and {@link Exit#getOrThrow()}) when an effect failed with a typed
 * error, or died with a checked exception. {@link #error()} is the typed error (or the checked exception).
 *
 * {@snippet :
 * try {
 *     Effect.fail("not found").runOrThrow();
 * } catch (FailureException e) {
 *     Object error = e.error(); // "not found"
 * }
 * }
 */
public final class FailureException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The typed error; not serialized since {@code E} need not be serializable. */
    private final transient Object error;

    FailureException(Object error) {
        super("effect failed with: " + error, error instanceof Throwable t ? t : null);
        this.error = error;
    }

    /**
     * Returns the typed error the effect failed with.
     *
     * @return the error
     */
    public Object error() {
        return error;
    }
}
