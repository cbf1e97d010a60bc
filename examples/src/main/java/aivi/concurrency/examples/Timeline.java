package aivi.concurrency.examples;

import aivi.concurrency.Effect;
import aivi.concurrency.Unit;

/**
 * A scene's timeline: lines stamped with the milliseconds since the scene started, as effects (so they take
 * their place in a chain of effects) or printed at once.
 */
final class Timeline {
    private final Terminal terminal;
    private final long start = System.nanoTime();

    Timeline(Terminal terminal) {
        this.terminal = terminal;
    }

    /** Milliseconds since the scene started. */
    long now() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Prints {@code message} at once, stamped. */
    void print(String message) {
        terminal.line(String.format("  %6d ms  %s", now(), message));
    }

    /**
     * An effect that prints {@code message}, stamped with the time it runs at. Its error type is fixed to the
     * demo's {@link ApiError}, so {@code t.log("...").then(call)} needs no type witness.
     */
    Effect<ApiError, Unit> log(String message) {
        return Effect.sync(() -> {
            print(message);
            return Unit.UNIT;
        });
    }
}
