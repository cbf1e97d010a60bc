package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §2 timeoutWith, on virtual time. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimeoutTest {

    static <A> Effect<String, A> after(long millis, Effect<String, A> effect) {
        return Concurrency.<String>sleep(millis).then(effect);
    }

    @Test
    void timeoutWithGivesTheEffectsOwnOutcomeWhenInTime() {
        IllegalStateException bug = new IllegalStateException("bug");
        try (VirtualRuntime v = new VirtualRuntime()) {
            assertThat(v.run(Concurrency.timeoutWith(100, "timeout", after(99, Effect.succeed(9)))))
                    .isEqualTo(Exit.success(9));
            assertThat(v.run(Concurrency.timeoutWith(100, "timeout", after(50, Effect.<String, Integer>fail("own")))))
                    .isEqualTo(Exit.failure("own"));
            assertThat(v.run(Concurrency.timeoutWith(100, "timeout", after(50, Effect.<String, Integer>sync(() -> {
                throw bug;
            }))))).isEqualTo(Exit.defect(bug));
            assertThat(v.nowMillis()).isEqualTo(199);
        }
    }

    @Test
    void theSeedsExampleTimeoutWith100OnPure9Is9() {
        assertThat(Concurrency.timeoutWith(100, "timeout", Effect.<String, Integer>succeed(9)).run())
                .isEqualTo(Exit.success(9));
    }

    @Test
    void timeoutWithCancelsTheEffectAndWaitsBeforeFailing() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            // cancelled at 10 ms; its finalizer takes until 40 ms; only then does the timeout fail
            Effect<String, Integer> slow = Effect.<String, Integer>never()
                    .ensuring(Concurrency.<String>sleep(30).then(log.add("finalizer done")));
            Exit<String, Integer> exit = v.run(Concurrency.timeoutWith(10, "timeout", slow)
                    .<String>exit().flatMap(e -> log.<String>add("timeoutWith returned " + e + " at " + v.nowMillis()))
                    .then(Effect.<String, Integer>succeed(0)));
            assertThat(exit).isEqualTo(Exit.success(0));
            assertThat(log.events()).containsExactly("finalizer done",
                    "timeoutWith returned Failure[error=timeout] at 40");
        }
    }

    @ParameterizedTest(name = "millis {0}")
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void timeoutWithZeroTimesOutWithoutRunningTheEffect(long millis) {
        AtomicInteger ran = new AtomicInteger();
        Exit<String, Integer> exit = Concurrency.timeoutWith(millis, "timeout",
                Effect.<String, Integer>sync(ran::incrementAndGet)).run();
        assertThat(exit).isEqualTo(Exit.failure("timeout"));
        assertThat(ran).hasValue(0);
    }

    @Test
    void anEffectThatEndsExactlyAtItsDeadlineOrLaterTimesOut() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            assertThat(v.run(Concurrency.timeoutWith(10, "timeout", after(11, Effect.succeed(1)))))
                    .isEqualTo(Exit.failure("timeout"));
            assertThat(v.nowMillis()).isEqualTo(10);
        }
    }

    @Test
    void aTimeoutInsideATimeoutTimesOutTheInnerOneFirst() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, Integer> exit = v.run(Concurrency.timeoutWith(50, "outer",
                    Concurrency.timeoutWith(20, "inner", after(100, Effect.succeed(1)))
                            .catchAll(e -> Effect.succeed(e.length()))));
            assertThat(exit).isEqualTo(Exit.success(5));
            assertThat(v.nowMillis()).isEqualTo(20);
        }
    }

    @Test
    void theCancellationOfTheCallerIsNotATimeout() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, String> exit = v.run(Concurrency.timeoutWith(10, "outer",
                    Concurrency.timeoutWith(100, "inner", Effect.<String, String>never())));
            assertThat(exit).isEqualTo(Exit.failure("outer"));
        }
    }

    @Test
    void timeoutYieldsAnOptional() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            assertThat(v.run(Concurrency.timeout(Duration.ofMillis(10), after(20, Effect.succeed(1)))))
                    .isEqualTo(Exit.success(Optional.empty()));
            assertThat(v.run(Concurrency.timeout(Duration.ofMillis(10), after(5, Effect.succeed(1)))))
                    .isEqualTo(Exit.success(Optional.of(1)));
        }
    }

    @Test
    void theTimedEffectsSpawnsAreCancelledWhenItTimesOut() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Exit<String, Unit> exit = v.run(Concurrency.timeoutWith(10, "timeout",
                            Concurrency.spawn(Effect.<String, Unit>never().ensuring(log.add("spawned child finalized")))
                                    .then(Effect.<String, Unit>never()))
                    .catchAll(e -> log.add("caught " + e)));
            assertThat(exit.isSuccess()).isTrue();
            assertThat(log.events()).containsExactly("spawned child finalized", "caught timeout");
        }
    }
}
