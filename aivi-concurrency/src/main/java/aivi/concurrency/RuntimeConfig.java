package aivi.concurrency;

import java.util.List;
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
 * @param contextPropagators carry thread-local context (a logging MDC, a tracing span) into every new fiber,
 *                         applied in this order; see {@link #withContextPropagator}
 */
public record RuntimeConfig(Clock clock, String fiberNamePrefix, ErrorHandler errorHandler,
                            List<ContextPropagator> contextPropagators) {

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
     * @param contextPropagators the context propagators, in the order they apply (copied)
     * @throws NullPointerException if any component or propagator is {@code null}
     */
    public RuntimeConfig {
        Objects.requireNonNull(clock, "RuntimeConfig: clock must not be null");
        Objects.requireNonNull(fiberNamePrefix, "RuntimeConfig: fiberNamePrefix must not be null");
        Objects.requireNonNull(errorHandler, "RuntimeConfig: errorHandler must not be null");
        Objects.requireNonNull(contextPropagators, "RuntimeConfig: contextPropagators must not be null");
        for (int i = 0; i < contextPropagators.size(); i++) {
            Objects.requireNonNull(contextPropagators.get(i), "RuntimeConfig: contextPropagators[" + i + "] is null");
        }
        contextPropagators = List.copyOf(contextPropagators);
    }

    /**
     * A configuration without context propagators.
     *
     * @param clock           the clock
     * @param fiberNamePrefix the name prefix
     * @param errorHandler    the error handler
     * @throws NullPointerException if any argument is {@code null}
     */
    public RuntimeConfig(Clock clock, String fiberNamePrefix, ErrorHandler errorHandler) {
        this(clock, fiberNamePrefix, errorHandler, List.of());
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
        return new RuntimeConfig(clock, fiberNamePrefix, errorHandler, contextPropagators);
    }

    /**
     * Returns a copy with another fiber name prefix.
     *
     * @param prefix the prefix
     * @return the new configuration
     */
    public RuntimeConfig withFiberNamePrefix(String prefix) {
        return new RuntimeConfig(clock, prefix, errorHandler, contextPropagators);
    }

    /**
     * Returns a copy with another error handler.
     *
     * @param handler the handler
     * @return the new configuration
     */
    public RuntimeConfig withErrorHandler(ErrorHandler handler) {
        return new RuntimeConfig(clock, fiberNamePrefix, handler, contextPropagators);
    }

    /**
     * Returns a copy with {@code propagator} added after the propagators already configured. Every
     * propagator captures on the thread that calls {@link EffectRuntime#run run}, {@link EffectRuntime#runOrThrow
     * runOrThrow} or {@link EffectRuntime#runAsync runAsync}, and on the spawning fiber for every fiber it starts
     * ({@code spawn}, {@code Scope.spawn}, {@code spawnDetached}, a {@code par}/{@code race} branch); the new
     * fiber restores every snapshot, in the order the propagators were added, before it runs anything. A
     * propagator that throws (in {@code capture} or {@code restore}) ends that new fiber with the exception
     * as its defect, before any of its effect ran; the defect travels like any other (to the joiner, the scope,
     * the caller of {@code run}, or the error handler for a detached fiber).
     *
     * {@snippet :
     * ThreadLocal<String> requestId = new ThreadLocal<>();
     * RuntimeConfig config = RuntimeConfig.defaults()
     *         .withContextPropagator(ContextPropagator.of(requestId::get, requestId::set));
     * try (EffectRuntime rt = EffectRuntime.create(config)) {
     *     requestId.set("req-7");
     *     String seen = rt.runOrThrow(Concurrency.par(Effect.sync(requestId::get), Effect.sync(requestId::get)))
     *             .second(); // "req-7", read on a new fiber
     * }
     * }
     *
     * @param propagator the propagator
     * @return the new configuration
     * @throws NullPointerException if {@code propagator} is {@code null}
     */
    public RuntimeConfig withContextPropagator(ContextPropagator propagator) {
        Objects.requireNonNull(propagator, "RuntimeConfig.withContextPropagator: propagator must not be null");
        java.util.ArrayList<ContextPropagator> all = new java.util.ArrayList<>(contextPropagators);
        all.add(propagator);
        return new RuntimeConfig(clock, fiberNamePrefix, errorHandler, all);
    }
}
