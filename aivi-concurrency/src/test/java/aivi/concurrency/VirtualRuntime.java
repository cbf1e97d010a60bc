package aivi.concurrency;

/**
 * A {@link TestRuntime} whose unobserved errors are kept. Closing it first asserts that no fiber of it is
 * alive.
 */
final class VirtualRuntime implements AutoCloseable {
    final ReportedErrors reported = new ReportedErrors();
    final TestRuntime test = TestRuntime.create(RuntimeConfig.defaults().withErrorHandler(reported));
    final TestClock clock = test.clock();
    final EffectRuntime rt = test.runtime();

    /** Runs {@code effect} to its end on virtual time that moves by itself. */
    <E, A> Exit<E, A> run(Effect<E, A> effect) {
        return test.run(effect);
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
            test.close();
        }
    }
}
