package aivi.concurrency;

import java.util.Objects;

/**
 * The immutable configuration of an {@link EffectRuntime}: its clock, how its fibers are named, and where errors
 * that nobody observed go. {@link #defaults()} needs no further setting.
 *
 * {@snippet :
 * TestClock clock = new TestClock();
 * try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock))) {
 *     // rt.run(...) sleeps on virtual time
 * }
 * }
 *
 * @param clock            the source of time for sleeps, timeouts and retry delays
 * @param fiberNamePrefix  the prefix of fiber (virtual thread) names; a counter follows it
 * @param errorHandler     receives errors nobody observed: a detached task's failure, a finalizer's
 *                         failure while another error was already propagating, the later errors of a scope
 */
public record RuntimeConfig(Clock clock, String fiberNamePrefix, ErrorHandler errorHandler) {

    /** Receives errors that no caller observed. Must not throw; must be thread-safe. */
    @FunctionalInterface
    public interface ErrorHandler {
        /**
         * Handles an unobserved error.
         *
         * @param context what happened, in words
         * @param error   the error (a typed error arrives wrapped in a {@link FailureException})
         */
        void unobserved(String context, Throwable error);

        /**
         * The default handler: logs at {@code WARNING} to the {@link System.Logger} named
         * {@code aivi.concurrency}.
         *
         * @return the handler
         */
        static ErrorHandler logging() {
            return (context, error) -> System.getLogger("aivi.concurrency")
                    .log(System.Logger.Level.WARNING, "unobserved error: " + context, error);
        }
    }

    /**
     * Validates the configuration.
     *
     * @param clock           the clock
     * @param fiberNamePrefix the name prefix
     * @param errorHandler    the error handler
     * @throws NullPointerException if any component is {@code null}
     */
    public RuntimeConfig {
        Objects.requireNonNull(clock, "RuntimeConfig: clock must not be null");
        Objects.requireNonNull(fiberNamePrefix, "RuntimeConfig: fiberNamePrefix must not be null");
        Objects.requireNonNull(errorHandler, "RuntimeConfig: errorHandler must not be null");
    }

    /**
     * The defaults: the system clock, fibers named {@code aivi-fiber-N}, errors logged.
     *
     * @return the default configuration
     */
    public static RuntimeConfig defaults() {
        return new RuntimeConfig(Clock.system(), "aivi-fiber-", ErrorHandler.logging());
    }

    /**
     * Returns a copy with another clock.
     *
     * @param clock the clock
     * @return the new configuration
     */
    public RuntimeConfig withClock(Clock clock) {
        return new RuntimeConfig(clock, fiberNamePrefix, errorHandler);
    }

    /**
     * Returns a copy with another fiber name prefix.
     *
     * @param prefix the prefix
     * @return the new configuration
     */
    public RuntimeConfig withFiberNamePrefix(String prefix) {
        return new RuntimeConfig(clock, prefix, errorHandler);
    }

    /**
     * Returns a copy with another error handler.
     *
     * @param handler the handler
     * @return the new configuration
     */
    public RuntimeConfig withErrorHandler(ErrorHandler handler) {
        return new RuntimeConfig(clock, fiberNamePrefix, handler);
    }
}
