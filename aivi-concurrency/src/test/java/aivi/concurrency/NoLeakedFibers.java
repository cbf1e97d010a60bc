package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a fiber of the default runtime alive. Every concurrency test class uses it
 * ({@code @ExtendWith(NoLeakedFibers.class)}); tests that create their own runtime check it with
 * {@link #assertNoLiveFibers(EffectRuntime)} before closing it.
 */
public final class NoLeakedFibers implements AfterEachCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        assertNoLiveFibers(EffectRuntime.defaultRuntime());
    }

    /**
     * Asserts that {@code runtime} has no fiber alive.
     *
     * @param runtime the runtime
     */
    public static void assertNoLiveFibers(EffectRuntime runtime) {
        // liveFibers() counts a fiber from when its own thread first runs, so a fiber spawned just before the test
        // ended may not be counted yet; the dump lists it already (its scope links it before its thread starts).
        // Either count reports the leak (as VirtualTimeExtension does).
        FiberDump dump = runtime.dump();
        assertThat(Math.max(runtime.liveFibers(), dump.size()))
                .as(() -> "fibers still alive after the test in " + runtime + "\n" + dump)
                .isZero();
    }
}
