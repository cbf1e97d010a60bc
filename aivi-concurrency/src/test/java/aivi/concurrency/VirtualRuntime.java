package aivi.concurrency;

/**
 * A runtime on a {@link TestClock} whose unobserved errors are kept, run by {@link VirtualTime}. Closing it
 * first asserts that no fiber of it is alive.
 */
final class VirtualRuntime implements AutoCloseable {
    final TestClock clock = new TestClock();
    final ReportedErrors reported = new ReportedErrors();
    final EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock).withErrorHandler(reported));

    /** Runs {@code effect} to its end on virtual time; see {@link VirtualTime}. */
    <E, A> Exit<E, A> run(Effect<E, A> effect) {
        return VirtualTime.run(rt, clock, effect);
    }

    /** The virtual time in milliseconds. */
    long nowMillis() {
        return clock.nanoTime() / 1_000_000L;
    }

    /** An effect that reads the virtual time in milliseconds. */
    <E> Effect<E, Long> now() {
        return Effect.sync(this::nowMillis);
    }

    @Override
    public void close() {
        try {
            NoLeakedFibers.assertNoLiveFibers(rt);
        } finally {
            rt.close();
        }
    }
}
