package aivi.concurrency;

import java.io.Serial;

/**
 * Thrown by {@link Effect#runOrThrow()} when the effect was cancelled, and inside direct-style code
 * ({@link Effect#gen}) to unwind a cancelled fiber. It is a control signal, not an error: code that catches
 * it should let it propagate.
 *
 * {@snippet :
 * Effect<String, Integer> cancelled = Effect.gen(d -> {
 *     Task<String, Integer> t = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
 *     d.await(t.cancel());
 *     return d.await(t.join()); // ends the block cancelled
 * });
 * try {
 *     cancelled.runOrThrow();
 * } catch (CancelledException e) {
 *     // the effect was cancelled
 * }
 * }
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
