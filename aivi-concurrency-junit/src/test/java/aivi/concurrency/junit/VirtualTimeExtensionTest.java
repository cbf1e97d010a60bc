package aivi.concurrency.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.Schedule;
import aivi.concurrency.TestRuntime;
import aivi.concurrency.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** {@link VirtualTimeExtension}: a TestRuntime per test, and a failure with the dump for a leaked fiber. */
@ExtendWith(VirtualTimeExtension.class)
class VirtualTimeExtensionTest {

    /** The example of the extension's Javadoc. */
    @Test
    void retriesWithBackoff(TestRuntime rt) {
        Exit<String, Unit> exit = rt.run(Concurrency.retry(
                Schedule.<String>exponential(Duration.ofSeconds(1)).maxAttempts(5), Effect.fail("down")));
        assertEquals(Exit.failure("down"), exit);
        assertEquals(Duration.ofSeconds(15).toNanos(), rt.clock().nanoTime());
    }

    @Test
    void eachTestGetsAFreshRuntimeWhoseClockStartsAtZero(TestRuntime rt) {
        assertThat(rt.clock().nanoTime()).isZero();
        rt.run(Concurrency.sleep(Duration.ofDays(1)));
        assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofDays(1).toNanos());
    }

    @Test
    void aTestThatLeavesAFiberRunningFailsWithTheDumpAndTheFiberIsCancelled() {
        TestExecutionSummary summary = runInner(Leaky.class);
        assertThat(summary.getTestsSucceededCount()).isEqualTo(1); // the tidy test passes
        assertThat(summary.getTestsFailedCount()).isEqualTo(1);
        Throwable failure = summary.getFailures().get(0).getException();
        assertThat(failure).isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("the test left 1 fiber running on its TestRuntime (closing it cancelled them): 1 fiber")
                .hasMessageContaining("\nleft-behind [");
        assertThat(Leaky.finalized).containsExactly("left-behind");
    }

    /** Runs the tests of {@code inner} (disabled unless the property is set) in a nested launcher. */
    private static TestExecutionSummary runInner(Class<?> inner) {
        System.setProperty("aivi.junit.inner", "true");
        try {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(inner)).build();
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            LauncherFactory.create().execute(request, listener);
            return listener.getSummary();
        } finally {
            System.clearProperty("aivi.junit.inner");
        }
    }

    /** Run only by {@link #aTestThatLeavesAFiberRunningFailsWithTheDumpAndTheFiberIsCancelled}. */
    @EnabledIfSystemProperty(named = "aivi.junit.inner", matches = "true")
    @ExtendWith(VirtualTimeExtension.class)
    static class Leaky {
        static final List<String> finalized = new ArrayList<>();

        @Test
        void leavesADetachedFiberBehind(TestRuntime rt) {
            rt.run(Concurrency.spawnDetached(Effect.<String, Unit>never()
                    .ensuring(Effect.sync(() -> {
                        finalized.add("left-behind");
                        return Unit.UNIT;
                    })).named("left-behind")));
        }

        @Test
        void tidy(TestRuntime rt) {
            rt.run(Concurrency.sleep(1_000));
        }
    }
}
