package aivi.concurrency;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

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
    private final AtomicLong live = new AtomicLong();
    /**
     * The number of the next fiber's thread name, {@code fiberNamePrefix} + number, from 1. Counted here rather
     * than by a naming thread factory: the JDK's builds each name with a {@code StringBuilder}, about twice what a
     * {@code concat} costs, and the name is on the path of every spawn.
     */
    private final AtomicLong nextNumber = new AtomicLong(1);
    private final ScopeImpl detached;
    /** The shared timer queue of {@code timeoutWith}; its thread starts on first use. */
    final Timers timers;
    /** The wait accounting of a {@link TestRuntime}'s runtime; {@code null} on every other runtime. */
    final IdleTracker idle;
    /** The root fibers running now ({@link #run} and its kin), for dumps and deadlock handling. */
    private final Set<Fiber> roots = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EffectRuntime(RuntimeConfig config, boolean virtualTime) {
        this.config = config;
        this.detached = new ScopeImpl(this, null, null, false);
        this.timers = new Timers(this);
        this.idle = virtualTime ? new IdleTracker(this, (TestClock) config.clock()) : null;
        if (!virtualTime) {
            RuntimeMBean.add(this); // the process-wide MBean's dump() includes this runtime until close()
        }
    }

    private EffectRuntime(RuntimeConfig config) {
        this(config, false);
    }

    /** The runtime of a {@link TestRuntime}: moves {@code clock} by itself when every fiber waits. */
    static EffectRuntime withVirtualTime(RuntimeConfig config) {
        EffectRuntime rt = new EffectRuntime(config, true);
        rt.idle.start();
        return rt;
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
            if (root.abandoned) {
                // Interrupted by the TestRuntime's idle detector: the deadlock outlived the cancel.
                return Exit.defect(root.deadlock);
            }
            root.cancel();
            root.awaitTerminationUninterruptibly();
            Thread.currentThread().interrupt();
        }
        DeadlockException deadlock = root.deadlock;
        if (deadlock != null) {
            // A TestRuntime found the run deadlocked and cancelled it (see IdleTracker): report the deadlock.
            if (root.exit instanceof Exit.Defect<?, ?> d && d.cause() != deadlock) {
                deadlock.addSuppressed(d.cause());
            }
            return Exit.defect(deadlock);
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

    /**
     * Starts {@code effect} as a root fiber of this runtime and returns at once with a future of its outcome.
     * The caller's thread is the one the {@linkplain RuntimeConfig#withContextPropagator context propagators}
     * capture on. The future:
     * <ul>
     *   <li>completes with the value on {@link Exit.Success};</li>
     *   <li>completes exceptionally with a {@link FailureException} whose {@link FailureException#error()} is
     *       the typed error on {@link Exit.Failure};</li>
     *   <li>completes exceptionally with the defect itself on {@link Exit.Defect};</li>
     *   <li>is cancelled on {@link Exit.Cancelled}.</li>
     * </ul>
     * Its callbacks run on the fiber's thread (or on the caller's, if already complete), after every fiber the
     * effect started has terminated. Cancelling the future ({@code cancel(anything)}) cancels the root fiber:
     * the future is cancelled at once, and the fiber's finalizers then run to completion on its own thread;
     * {@code cancel} does not wait for them. Cancelling a dependent stage ({@code future.thenApply(...)})
     * does not reach the fiber, as with any {@link CompletableFuture}.
     *
     * {@snippet :
     * try (EffectRuntime rt = EffectRuntime.create()) {
     *     CompletableFuture<Integer> f = rt.runAsync(Effect.succeed(21).map(x -> x * 2));
     *     int answer = f.join(); // 42
     * }
     * }
     *
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the future of the outcome
     * @throws IllegalStateException if this runtime is closed
     * @throws NullPointerException  if {@code effect} is {@code null}
     */
    public <E, A> CompletableFuture<A> runAsync(Effect<E, A> effect) {
        Objects.requireNonNull(effect, "EffectRuntime.runAsync: effect must not be null");
        return Futures.runAsync(this, effect);
    }

    private Fiber startRoot(Effect<?, ?> effect) {
        return startRoot(effect, null, "EffectRuntime.run");
    }

    /** Starts a root fiber on the calling thread's behalf; {@code onDone} sees its exit before it terminates. */
    Fiber startRoot(Effect<?, ?> effect, Consumer<Exit<?, ?>> onDone, String what) {
        if (closed) {
            throw new IllegalStateException(what + ": the runtime is closed");
        }
        Fiber root = new Fiber(this, effect, null, onDone);
        root.root = true;
        if (idle != null && onDone == null) {
            root.runCaller = Thread.currentThread(); // see Fiber.abandoned; runAsync's caller does not wait
        }
        roots.add(root); // removed by the fiber itself once it has terminated (rootEnded)
        root.start(null); // counted live by its own thread (Fiber.run), so a start that throws counts nothing
        return root;
    }

    /** Called by a root fiber after it has terminated. */
    void rootEnded(Fiber root) {
        roots.remove(root);
    }

    /**
     * Takes a snapshot of every live fiber of this runtime, as a tree that follows the scopes: root fibers
     * (of {@link #run} and its kin) and detached fibers at the top, each fiber's children below it. See
     * {@link FiberDump} for what each entry says and how it prints.
     *
     * <p>Blocks only briefly on the locks of the scopes it visits; the fibers run on meanwhile, so the dump
     * is a best-effort picture. Never fails because of what the fibers do; callable from any thread, also
     * from a fiber of this runtime (which then appears as {@code running}) and after {@link #close()}.
     *
     * <p>The same dump is available without code changes through JMX: the MBean
     * {@code dev.aivi.concurrency:type=EffectRuntimes} on the platform MBean server has an operation
     * {@code dump()} that returns the dumps of every open runtime (this one until {@link #close()}) as text,
     * and an attribute {@code LiveFibers}. It is registered in the background when the first runtime is
     * created; {@link TestRuntime}s are not included.
     *
     * {@snippet :
     * try (EffectRuntime rt = EffectRuntime.create()) {
     *     Effect<String, Unit> worker = Concurrency.<String>sleep(60_000).named("worker");
     *     rt.run(Concurrency.scope(s -> s.spawn(worker).then(Effect.sync(() -> {
     *         System.out.println(rt.dump()); // main, and "worker [waiting: sleep of 1 min 0 s for 0 ms]" below it
     *         return Unit.UNIT;
     *     }))));
     * }
     * }
     *
     * @return the snapshot
     */
    public FiberDump dump() {
        long now = System.nanoTime();
        List<FiberDump.Entry> top = new ArrayList<>();
        for (Fiber f : roots) {
            FiberDump.Entry e = f.dumpEntry(now);
            if (e != null) {
                top.add(e);
            }
        }
        for (Fiber f : detached.children()) {
            FiberDump.Entry e = f.dumpEntry(now);
            if (e != null) {
                top.add(e);
            }
        }
        return new FiberDump(top);
    }

    /** The root fibers running now. */
    Set<Fiber> roots() {
        return roots;
    }

    /** The detached fibers running now. */
    Fiber[] detachedFibers() {
        return detached.children();
    }

    /**
     * Returns the number of fibers of this runtime that have started running and whose effect (finalizers
     * included) has not yet ended. A fiber counts from the moment its own thread runs it, so one spawned an
     * instant ago may not count yet; it stops counting before its scope or joiners learn that it ended, so once
     * a {@code join}, a scope or {@link #run} has returned, the fibers it waited for no longer count.
     *
     * @return the count
     */
    public long liveFibers() {
        return live.get();
    }

    /**
     * Cancels every detached fiber and waits until all have terminated; afterwards {@link #run} refuses new
     * work. Idempotent. Root fibers still running in other threads' {@code run} calls are not affected.
     *
     * <p>Blocks, uninterruptibly, until every detached fiber has terminated (their finalizers ran): a
     * detached finalizer that blocks forever blocks {@code close} forever, which stays the user's
     * responsibility.
     *
     * @throws IllegalStateException         if called from a detached task of this runtime, or from a fiber
     *                                       running inside one: it would wait for itself
     * @throws UnsupportedOperationException on the {@linkplain #defaultRuntime() default runtime}
     */
    @Override
    public void close() {
        if (this == DefaultHolder.INSTANCE) {
            throw new UnsupportedOperationException("EffectRuntime.close: the default runtime cannot be closed");
        }
        Fiber inside = Fiber.INSIDE_DETACHED.get();
        if (inside != null && inside.runtime == this) {
            throw new IllegalStateException("EffectRuntime.close: called from " + inside + ", which is a detached "
                    + "task of this runtime or runs inside one; close cancels and awaits every detached task, so it "
                    + "would wait for itself. Close the runtime from outside it");
        }
        closed = true;
        detached.close(Exit.success(Unit.UNIT));
        timers.close(); // its thread ends once the timers of fibers still running elsewhere are gone
        if (idle != null) {
            idle.close();
        }
        RuntimeMBean.remove(this);
    }

    // ------------------------------------------------------------------------------------------------------
    // Internal

    <E, A> Task<E, A> startDetached(Fiber spawner, Effect<E, A> effect) {
        return detached.start(spawner, effect);
    }

    /** An unstarted virtual thread for {@code r}, named {@code name}, or by the prefix and a number if null. */
    Thread newThread(Runnable r, String name) {
        long number = nextNumber.getAndIncrement(); // every fiber takes a number, named or not, as before
        // The name goes in through the builder rather than Thread.setName, which is synchronized: a monitor
        // taken and released on every spawn (about 30 ns of a spawn + join, docs/benchmarks.md, 2026-12-03).
        return Thread.ofVirtual()
                .name(name != null ? name : config.fiberNamePrefix().concat(Long.toString(number)))
                .unstarted(r);
    }

    void fiberStarted() {
        live.incrementAndGet();
    }

    void fiberEnded() {
        live.decrementAndGet();
    }

    void reportUnobserved(String context, Throwable error) {
        JfrEvents.unobservedError(context, error);
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
