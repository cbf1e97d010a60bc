package aivi.concurrency;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs effects: owns the clock, the fibers' thread factory, the error handler for unobserved errors, and the
 * detached fibers started with {@link Concurrency#spawnDetached}.
 *
 * <p>{@link #run(Effect)} is a root scope: when it returns, every fiber the effect started has terminated,
 * except detached ones, which belong to the runtime; {@link #close()} cancels and awaits those.
 *
 * {@snippet :
 * try (EffectRuntime rt = EffectRuntime.create()) {
 *     Exit<String, Integer> exit = rt.run(Effect.succeed(42));
 * }
 * }
 *
 * <p>{@link Effect#run()} uses {@link #defaultRuntime()}, which is never closed.
 */
public final class EffectRuntime implements AutoCloseable {

    private static final class DefaultHolder {
        static final EffectRuntime INSTANCE = new EffectRuntime(RuntimeConfig.defaults());
    }

    private final RuntimeConfig config;
    private final ThreadFactory threads;
    private final AtomicLong live = new AtomicLong();
    private final ScopeImpl detached;
    /** The shared timer queue of {@code timeoutWith}; its thread starts on first use. */
    final Timers timers;
    private volatile boolean closed;

    private EffectRuntime(RuntimeConfig config) {
        this.config = config;
        this.threads = Thread.ofVirtual().name(config.fiberNamePrefix(), 1).factory();
        this.detached = new ScopeImpl(this, null, null, false);
        this.timers = new Timers(this);
    }

    /**
     * The runtime {@link Effect#run()} uses: system clock, logging error handler.
     *
     * @return the default runtime
     */
    public static EffectRuntime defaultRuntime() {
        return DefaultHolder.INSTANCE;
    }

    /**
     * Creates a runtime with the {@linkplain RuntimeConfig#defaults() default configuration}.
     *
     * @return a new runtime
     */
    public static EffectRuntime create() {
        return new EffectRuntime(RuntimeConfig.defaults());
    }

    /**
     * Creates a runtime with the given configuration.
     *
     * @param config the configuration
     * @return a new runtime
     */
    public static EffectRuntime create(RuntimeConfig config) {
        return new EffectRuntime(Objects.requireNonNull(config, "EffectRuntime.create: config must not be null"));
    }

    /**
     * Returns this runtime's configuration.
     *
     * @return the configuration
     */
    public RuntimeConfig config() {
        return config;
    }

    /**
     * Returns this runtime's clock.
     *
     * @return the clock
     */
    public Clock clock() {
        return config.clock();
    }

    /**
     * Runs {@code effect} on a new root fiber and blocks the caller until it has ended and every fiber it
     * started (detached ones aside) has terminated. The caller may be any thread.
     *
     * <p>If the caller is interrupted while waiting, the root fiber is cancelled; this method returns its
     * outcome (normally {@link Exit.Cancelled}) once it has terminated, with the caller's interrupt status
     * set again.
     *
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the outcome
     * @throws IllegalStateException if this runtime is closed
     */
    @SuppressWarnings("unchecked")
    public <E, A> Exit<E, A> run(Effect<E, A> effect) {
        Objects.requireNonNull(effect, "EffectRuntime.run: effect must not be null");
        Fiber root = startRoot(effect);
        try {
            root.awaitTermination();
        } catch (InterruptedException e) {
            root.cancel();
            root.awaitTerminationUninterruptibly();
            Thread.currentThread().interrupt();
        }
        return (Exit<E, A>) root.exit;
    }

    /**
     * Runs {@code effect} like {@link #run(Effect)} and returns its value or throws (see
     * {@link Effect#runOrThrow()}).
     *
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the value
     */
    public <E, A> A runOrThrow(Effect<E, A> effect) {
        return run(effect).getOrThrow();
    }

    private Fiber startRoot(Effect<?, ?> effect) {
        if (closed) {
            throw new IllegalStateException("EffectRuntime.run: the runtime is closed");
        }
        Fiber root = new Fiber(this, effect, null, null);
        fiberStarted();
        root.start();
        return root;
    }

    /**
     * Returns the number of fibers of this runtime that have started and whose effect (finalizers included)
     * has not yet ended. A fiber stops counting before its scope or joiners learn that it ended, so once a
     * {@code join}, a scope or {@link #run} has returned, the fibers it waited for no longer count.
     *
     * @return the count
     */
    public long liveFibers() {
        return live.get();
    }

    /**
     * Cancels every detached fiber and waits until all have terminated; afterwards {@link #run} refuses new
     * work. Idempotent. Root fibers still running in other threads' {@code run} calls are not affected.
     */
    @Override
    public void close() {
        if (this == DefaultHolder.INSTANCE) {
            throw new UnsupportedOperationException("EffectRuntime.close: the default runtime cannot be closed");
        }
        closed = true;
        detached.close(Exit.success(Unit.UNIT));
        timers.close(); // its thread ends once the timers of fibers still running elsewhere are gone
    }

    // ------------------------------------------------------------------------------------------------------
    // Internal

    <E, A> Task<E, A> startDetached(Effect<E, A> effect) {
        return detached.start(effect);
    }

    Thread newThread(Runnable r) {
        return threads.newThread(r);
    }

    void fiberStarted() {
        live.incrementAndGet();
    }

    void fiberEnded() {
        live.decrementAndGet();
    }

    void reportUnobserved(String context, Throwable error) {
        try {
            config.errorHandler().unobserved(context, error);
        } catch (Throwable t) {
            t.addSuppressed(error);
            RuntimeConfig.ErrorHandler.logging().unobserved("the runtime's error handler failed", t);
        }
    }

    @Override
    public String toString() {
        return "EffectRuntime[live=" + live.get() + ", clock=" + config.clock() + "]";
    }
}
