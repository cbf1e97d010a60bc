package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §2 race: first completion wins; raceSuccess: first success wins; n-ary forms. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RaceTest {

    static <A> Effect<String, A> after(long millis, Effect<String, A> effect) {
        return Concurrency.<String>sleep(millis).then(effect);
    }

    @ParameterizedTest(name = "faster side: {0}")
    @ValueSource(strings = {"left", "right"})
    void raceYieldsTheValueOfTheFasterSide(String faster) {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, String> fast = after(10, Effect.succeed("fast"));
            Effect<String, String> slow = after(20, Effect.succeed("slow"));
            Exit<String, String> exit = v.run(faster.equals("left")
                    ? Concurrency.race(fast, slow) : Concurrency.race(slow, fast));
            assertThat(exit).isEqualTo(Exit.success("fast"));
            assertThat(v.nowMillis()).isEqualTo(10);
        }
    }

    @ParameterizedTest(name = "failing side: {0}")
    @ValueSource(strings = {"left", "right"})
    void raceFirstCompletionWinsEvenWhenItIsAFailure(String failing) {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, String> fails = after(10, Effect.fail("first"));
            Effect<String, String> succeeds = after(20, Effect.succeed("late"));
            Exit<String, String> exit = v.run(failing.equals("left")
                    ? Concurrency.race(fails, succeeds) : Concurrency.race(succeeds, fails));
            assertThat(exit).isEqualTo(Exit.failure("first"));
            assertThat(v.nowMillis()).isEqualTo(10);
            assertThat(v.reported.errors()).isEmpty();
        }
    }

    @Test
    void raceFirstCompletionWinsEvenWhenItIsADefect() {
        IllegalStateException bug = new IllegalStateException("bug");
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, String> exit = v.run(Concurrency.race(
                    after(10, Effect.<String, String>sync(() -> {
                        throw bug;
                    })),
                    after(20, Effect.succeed("late"))));
            assertThat(exit).isEqualTo(Exit.defect(bug));
        }
    }

    @ParameterizedTest(name = "losing side: {0}")
    @ValueSource(strings = {"left", "right"})
    void raceCancelsTheLoserAndWaitsForItsFinalizer(String losing) {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            // the loser's finalizer itself takes 5 ms of virtual time: race must wait for it
            Effect<String, String> loser = Effect.<String, String>never()
                    .ensuring(Concurrency.<String>sleep(5).then(log.add("loser finalized")));
            Effect<String, String> winner = after(10, Effect.succeed("winner"));
            Effect<String, String> race = losing.equals("left")
                    ? Concurrency.race(loser, winner) : Concurrency.race(winner, loser);
            Exit<String, Unit> exit = v.run(race.flatMap(w -> log.<String>add("race returned " + w)));
            assertThat(exit.isSuccess()).isTrue();
            assertThat(log.events()).containsExactly("loser finalized", "race returned winner");
            assertThat(v.nowMillis()).isEqualTo(15);
        }
    }

    /** Regression: a race loser's error that came after the winner was dropped silently. */
    @ParameterizedTest(name = "losing side: {0}")
    @ValueSource(strings = {"left", "right"})
    void aLosersFailureThatComesAfterTheWinnerIsReportedNotLost(String losing) {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, String> loser = after(20, Effect.<String, String>fail("late")).uncancellable();
            Effect<String, String> winner = after(10, Effect.succeed("winner"));
            Exit<String, String> exit = v.run(losing.equals("left")
                    ? Concurrency.race(loser, winner) : Concurrency.race(winner, loser));
            assertThat(exit).isEqualTo(Exit.success("winner"));
            assertThat(v.reported.typedErrors()).containsExactly("late");
            assertThat(v.nowMillis()).isEqualTo(20);
        }
    }

    @Test
    void aLosersDefectThatComesAfterADefectWinnerIsSuppressedOnIt() {
        RuntimeException first = new RuntimeException("first");
        RuntimeException late = new RuntimeException("late");
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, String> exit = v.run(Concurrency.race(
                    after(20, Effect.<String, String>sync(() -> {
                        throw late;
                    })).uncancellable(),
                    after(10, Effect.<String, String>sync(() -> {
                        throw first;
                    }))));
            assertThat(exit).isEqualTo(Exit.defect(first));
            assertThat(first.getSuppressed()).filteredOn(s -> !(s instanceof EffectTrace)).containsExactly(late);
        }
    }

    @Test
    void aBranchFailureAfterTheCallerWasCancelledIsReportedNotLost() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            // the caller is cancelled at 10 ms, which decides the race; the right side cannot be cancelled
            // and fails at 20 ms, after the decision
            Effect<String, String> side = after(20, Effect.<String, String>fail("late")).uncancellable();
            Exit<String, String> exit = v.run(Concurrency.timeoutWith(10, "timeout",
                    Concurrency.race(Effect.<String, String>never(), side)));
            assertThat(exit).isEqualTo(Exit.failure("timeout"));
            assertThat(v.reported.typedErrors()).containsExactly("late");
        }
    }

    @Test
    void raceOfACancelledCallerCancelsBothSides() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            AtomicInteger finalized = new AtomicInteger();
            Effect<String, String> side = Effect.<String, String>never().ensuring(Effect.sync(finalized::incrementAndGet));
            Exit<String, String> exit = v.run(Concurrency.timeoutWith(10, "timeout", Concurrency.race(side, side)));
            assertThat(exit).isEqualTo(Exit.failure("timeout"));
            assertThat(finalized).hasValue(2);
        }
    }

    @Test
    void raceBranchesRunAtOnce() {
        CountDownLatch both = new CountDownLatch(2);
        Effect<String, String> side = Effect.<String, String>attempt(() -> {
            both.countDown();
            both.await();
            return "done";
        }, e -> "interrupted");
        assertThat(Concurrency.race(side, side).run()).isEqualTo(Exit.success("done"));
    }

    // ---------------------------------------------------------------------------------------------------
    // raceSuccess

    @ParameterizedTest(name = "failing side: {0}")
    @ValueSource(strings = {"left", "right"})
    void raceSuccessIgnoresAFailureWhenTheOtherSucceeds(String failing) {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, String> fails = after(10, Effect.fail("early failure"));
            Effect<String, String> succeeds = after(20, Effect.succeed("late success"));
            Exit<String, String> exit = v.run(failing.equals("left")
                    ? Concurrency.raceSuccess(fails, succeeds) : Concurrency.raceSuccess(succeeds, fails));
            assertThat(exit).isEqualTo(Exit.success("late success"));
            assertThat(v.nowMillis()).isEqualTo(20);
        }
    }

    @Test
    void raceSuccessCancelsTheLoserOnceOneSucceeds() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Exit<String, String> exit = v.run(Concurrency.raceSuccess(
                    Effect.<String, String>never().ensuring(log.add("loser finalized")),
                    after(10, Effect.succeed("winner"))));
            assertThat(exit).isEqualTo(Exit.success("winner"));
            assertThat(log.events()).containsExactly("loser finalized");
        }
    }

    @Test
    void raceSuccessFailsWithTheLastFailureWhenAllFailAndReportsTheOthers() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, String> exit = v.run(Concurrency.raceSuccess(
                    after(20, Effect.fail("last")), after(10, Effect.fail("first"))));
            assertThat(exit).isEqualTo(Exit.failure("last"));
            assertThat(v.reported.typedErrors()).containsExactly("first");
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // n-ary

    @Test
    void raceAllFirstCompletionWinsAndEveryLoserIsCancelledAndAwaited() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            AtomicInteger finalized = new AtomicInteger();
            List<Effect<String, Integer>> effects = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Effect<String, Integer> e = i == 4 ? after(3, Effect.succeed(4)) : after(100 + i, Effect.succeed(i));
                effects.add(e.ensuring(Effect.sync(finalized::incrementAndGet)));
            }
            assertThat(v.run(Concurrency.raceAll(effects))).isEqualTo(Exit.success(4));
            assertThat(finalized).hasValue(6);
            assertThat(v.nowMillis()).isEqualTo(3);
        }
    }

    @Test
    void raceAllOfOneEffectIsThatEffect() {
        assertThat(Concurrency.raceAll(List.of(Effect.<String, Integer>succeed(7))).run()).isEqualTo(Exit.success(7));
    }

    @Test
    void raceAllRejectsAnEmptyList() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Concurrency.raceAll(List.<Effect<String, Integer>>of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    }

    @Test
    void raceSuccessAllWinsWithTheFirstSuccessAfterFailures() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            List<Effect<String, Integer>> effects = List.of(
                    after(1, Effect.fail("a")), after(2, Effect.fail("b")), after(5, Effect.succeed(5)),
                    after(9, Effect.succeed(9)));
            assertThat(v.run(Concurrency.raceSuccessAll(effects))).isEqualTo(Exit.success(5));
            assertThat(v.nowMillis()).isEqualTo(5);
        }
    }

    @Test
    void aRaceBranchsSpawnsAreCancelledAndAwaitedBeforeRaceReturns() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Effect<String, String> spawner = Concurrency.spawn(Effect.<String, String>never()
                    .ensuring(log.add("grandchild finalized"))).then(after(10, Effect.succeed("spawner")));
            Exit<String, Unit> exit = v.run(Concurrency.race(spawner, after(20, Effect.succeed("other")))
                    .flatMap(w -> log.<String>add("race returned " + w)));
            assertThat(exit.isSuccess()).isTrue();
            assertThat(log.events()).containsExactly("grandchild finalized", "race returned spawner");
        }
    }
}
