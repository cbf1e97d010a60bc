package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every {@code Duration} overload converts through {@link Durations}: no rounding down, saturation. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DurationConversionTest {

    @Test
    void aTimeoutUnderOneMillisecondStillRunsTheEffect() {
        // It rounded down to 0 ms, which "times out at once without running the effect".
        assertThat(Concurrency.timeout(Duration.ofNanos(999_999), Effect.<String, Integer>succeed(1)).run())
                .isEqualTo(Exit.success(Optional.of(1)));
    }

    @Test
    void aSleepUnderOneMillisecondStillSleepsOnTheClock() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, Long> exit = v.run(Concurrency.<String>sleep(Duration.ofNanos(999_999))
                    .then(Effect.sync(v.clock::nanoTime)));
            assertThat(exit).isEqualTo(Exit.success(999_999L));
        }
    }

    @Test
    void aHugeDurationSaturatesLikeTheLongOverloadsInsteadOfThrowing() {
        Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
        // Both threw ArithmeticException from Duration.toMillis() while the effect was being built.
        Effect<String, Unit> sleepForever = Concurrency.sleep(forever);
        assertThat(Concurrency.timeoutWith(20, "t", sleepForever).run()).isEqualTo(Exit.failure("t"));
        assertThat(Concurrency.timeout(forever, Effect.<String, Integer>succeed(7)).run())
                .isEqualTo(Exit.success(Optional.of(7)));
        assertThat(Concurrency.timeoutWith(Long.MAX_VALUE, "t", Effect.<String, Integer>succeed(8)).run())
                .isEqualTo(Exit.success(8));
    }

    @Test
    void aZeroOrNegativeDurationTimesOutAtOnceWithoutRunningTheEffect() {
        int[] runs = {0};
        Effect<String, Integer> counted = Effect.sync(() -> ++runs[0]);
        assertThat(Concurrency.timeout(Duration.ZERO, counted).run()).isEqualTo(Exit.success(Optional.empty()));
        assertThat(Concurrency.timeout(Duration.ofNanos(-1), counted).run()).isEqualTo(Exit.success(Optional.empty()));
        assertThat(runs[0]).isZero();
        assertThat(Concurrency.sleep(Duration.ofDays(-1)).run()).isEqualTo(Exit.success(Unit.UNIT));
    }

    @Test
    void timeoutOfAnEffectThatSucceedsWithNullIsADefectNotATimeout() {
        // Optional.ofNullable(null) made it look exactly like a timeout.
        Exit<String, Optional<Object>> exit = Concurrency.timeout(Duration.ofSeconds(5), Effect.<String, Object>succeed(null))
                .run();
        assertThat(exit).isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("Concurrency.timeout")
                .hasMessageContaining("timeoutWith"));
    }

    @Test
    void aNullDurationIsRejectedWithItsName() {
        assertThatThrownBy(() -> Concurrency.sleep((Duration) null))
                .isInstanceOf(NullPointerException.class).hasMessage("Concurrency.sleep: duration must not be null");
        assertThatThrownBy(() -> Concurrency.timeout(null, Effect.unit()))
                .isInstanceOf(NullPointerException.class).hasMessage("Concurrency.timeout: limit must not be null");
    }

    @Test
    void theHelperNeverRoundsDownAndSaturates() {
        assertThat(Durations.toNanos(Duration.ofNanos(1), "d")).isEqualTo(1);
        assertThat(Durations.toNanos(Duration.ofMillis(3).plusNanos(5), "d")).isEqualTo(3_000_005);
        assertThat(Durations.toNanos(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), "d"))
                .isEqualTo(Durations.MAX_DELAY_NANOS);
        assertThat(Durations.toNanos(Duration.ofSeconds(Long.MIN_VALUE), "d")).isZero();
        assertThat(Durations.millisToNanos(Long.MAX_VALUE)).isEqualTo(Durations.MAX_DELAY_NANOS);
        assertThat(Durations.millisToNanos(Long.MIN_VALUE)).isZero();
        assertThat(Durations.millisToNanos(2)).isEqualTo(2_000_000);
        assertThat(Durations.deadline(Long.MAX_VALUE - 5, Durations.MAX_DELAY_NANOS)).isEqualTo(Long.MAX_VALUE);
        assertThat(Durations.deadline(-10, 4)).isEqualTo(-6);
    }
}
