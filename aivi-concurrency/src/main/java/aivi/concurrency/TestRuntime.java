package aivi.concurrency;

import java.util.Objects;

/**
 * An {@link EffectRuntime} on virtual time that moves by itself, for tests that never wait: a
 * {@link TestClock} that starts at 0 and jumps to the earliest deadline (a {@code sleep}, a
 * {@code timeoutWith}, a retry delay, a timed {@code select}) exactly when every live fiber of the runtime
 * waits in a library wait, and never earlier. A test of a 30-second timeout or of a retry with backoff runs
 * in milliseconds, needs no second thread, and always ends at the same virtual time.
 *
 * {@snippet :
 * try (TestRuntime rt = TestRuntime.create()) {
 *     Exit<String, Integer> exit = rt.run(Concurrency.timeoutWith(30_000, "timeout",
 *             Concurrency.<String>sleep(60_000).as(1)));
 *     // exit is Failure("timeout"), and rt.clock().nanoTime() is exactly 30 s
 * }
 * }
 *
 * <p><b>Library waits</b> are {@code sleep}, retry delays, timers, {@code join}/{@code await}/{@code cancel}
 * of a task, a scope waiting for its children, {@code send}, {@code recv}, {@code select}, and waits on
 * futures ({@code awaitFuture}/{@code fromFuture}). While some fiber of the runtime is runnable, or blocked
 * anywhere else (real I/O, {@code Thread.sleep}, a JDK lock or queue, {@code Receiver.iterator()}), time stands
 * still: the clock never jumps past real work in flight. Do not expect time to move while a fiber blocks
 * outside the library, and do not wake fibers of this runtime from other threads (a platform thread calling
 * {@code trySend}, a future completed by real I/O) while relying on time standing still: the runtime cannot
 * see such wake-ups coming.
 *
 * <p><b>Deadlocks.</b> If every live fiber waits in a library wait and no deadline is left, the run ends
 * with {@code Exit.Defect(DeadlockException)}, whose message is the {@linkplain EffectRuntime#dump() fiber
 * dump}; every fiber is cancelled and awaited first. Waits on futures are the exception: their completion
 * comes from outside, so a run whose fibers all wait and one of them waits on a future keeps waiting.
 *
 * <p>Programs whose outcome depends on timing alone give the same outcome and the same virtual end time on
 * every run. Several runs may use one {@code TestRuntime} one after the other; virtual time carries over.
 * Time moves only while a run is in progress: between runs the clock stands still, even if detached fibers
 * sleep, so a test reads a stable clock after {@code run} returns.
 * {@link #close()} cancels and awaits detached fibers and stops the clock's driver.
 */
public final class TestRuntime implements AutoCloseable {
    private final TestClock clock;
    private final EffectRuntime runtime;

    private TestRuntime(RuntimeConfig config) {
        this.clock = (TestClock) config.clock();
        this.runtime = EffectRuntime.withVirtualTime(config);
    }

    /**
     * Creates a test runtime on a new {@link TestClock} at 0, with fibers named {@code test-fiber-N} and the
     * default error handler.
     *
     * @return the runtime; close it when done
     */
    public static TestRuntime create() {
        return create(RuntimeConfig.defaults().withFiberNamePrefix("test-fiber-"));
    }

    /**
     * Creates a test runtime with {@code config}'s fiber name prefix and error handler, on a new
     * {@link TestClock} at 0 (the configuration's own clock is not used).
     *
     * @param config the configuration
     * @return the runtime; close it when done
     */
    public static TestRuntime create(RuntimeConfig config) {
        Objects.requireNonNull(config, "TestRuntime.create: config must not be null");
        return new TestRuntime(config.withClock(new TestClock()));
    }

    /**
     * Runs {@code effect} on a new test runtime and closes it: {@code create()}, {@link #run}, {@link #close()}.
     *
     * {@snippet :
     * Exit<String, Unit> exit = TestRuntime.runVirtual(Concurrency.sleep(java.time.Duration.ofDays(365)));
     * // returns at once: a year of virtual time
     * }
     *
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the outcome; {@code Exit.Defect(DeadlockException)} if the run deadlocked
     */
    public static <E, A> Exit<E, A> runVirtual(Effect<E, A> effect) {
        Objects.requireNonNull(effect, "TestRuntime.runVirtual: effect must not be null");
        try (TestRuntime rt = create()) {
            return rt.run(effect);
        }
    }

    /**
     * Runs {@code effect} on a new root fiber and blocks the caller until it has ended and every fiber it
     * started (detached ones aside) has terminated, moving virtual time as described above. Interrupting the
     * caller cancels the run, as for {@link EffectRuntime#run}.
     *
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the outcome; {@code Exit.Defect(DeadlockException)} if the run deadlocked
     * @throws IllegalStateException if this runtime is closed
     */
    public <E, A> Exit<E, A> run(Effect<E, A> effect) {
        return runtime.run(Objects.requireNonNull(effect, "TestRuntime.run: effect must not be null"));
    }

    /**
     * Runs {@code effect} like {@link #run} and returns its value or throws (see {@link Exit#getOrThrow()}).
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
     * The virtual clock; {@link TestClock#nanoTime()} says how much virtual time has passed.
     *
     * @return the clock
     */
    public TestClock clock() {
        return clock;
    }

    /**
     * The underlying runtime (for {@link EffectRuntime#dump()}, {@link EffectRuntime#liveFibers()}, or code
     * that takes an {@code EffectRuntime}); its runs move virtual time too.
     *
     * @return the runtime
     */
    public EffectRuntime runtime() {
        return runtime;
    }

    /**
     * Cancels every detached fiber and waits until all have terminated, then stops moving the clock.
     * Idempotent.
     */
    @Override
    public void close() {
        runtime.close();
    }

    @Override
    public String toString() {
        return "TestRuntime[" + clock + ", live=" + runtime.liveFibers() + "]";
    }
}
