package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §2 par, and the n-ary {@code parAll}. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParTest {

    static <A> Effect<String, A> after(long millis, Effect<String, A> effect) {
        return Concurrency.<String>sleep(millis).then(effect);
    }

    /** Waits on a latch in user code: cancellable through the interrupt the library sends. */
    static Effect<String, Unit> await(CountDownLatch latch) {
        return Effect.attempt(() -> {
            latch.await();
            return Unit.UNIT;
        }, e -> "interrupted");
    }

    static Effect<String, Unit> countDown(CountDownLatch latch) {
        return Effect.sync(() -> {
            latch.countDown();
            return Unit.UNIT;
        });
    }

    @Test
    void parYieldsBothValuesWhenBothSucceed() {
        Exit<String, Pair<Integer, String>> exit =
                Concurrency.par(Effect.<String, Integer>succeed(1), Effect.<String, String>succeed("a")).run();
        assertThat(exit).isEqualTo(Exit.success(new Pair<>(1, "a")));
    }

    @Test
    void parRunsBothSidesAtOnce() {
        // each side waits for the other to have started: sequential execution would deadlock
        CountDownLatch both = new CountDownLatch(2);
        Effect<String, Integer> left = countDown(both).then(await(both)).as(1);
        Effect<String, Integer> right = countDown(both).then(await(both)).as(2);
        assertThat(Concurrency.par(left, right).run()).isEqualTo(Exit.success(new Pair<>(1, 2)));
    }

    @ParameterizedTest(name = "failing side: {0}")
    @ValueSource(strings = {"left", "right"})
    void parCancelsTheOtherSideAndWaitsForItsFinalizerWhenOneFails(String failing) {
        EventLog log = new EventLog();
        CountDownLatch otherStarted = new CountDownLatch(1);
        Effect<String, Integer> other = countDown(otherStarted).then(Effect.<String, Integer>never())
                .ensuring(log.add("other finalized"));
        Effect<String, Integer> failer = await(otherStarted).then(Effect.<String, Integer>fail("boom"));
        Effect<String, Pair<Integer, Integer>> par = failing.equals("left")
                ? Concurrency.par(failer, other) : Concurrency.par(other, failer);
        Exit<String, Unit> exit = par.<String>exit().flatMap(e -> log.<String>add("par returned " + e)).run();
        assertThat(exit.isSuccess()).isTrue();
        assertThat(log.events()).containsExactly("other finalized", "par returned Failure[error=boom]");
    }

    @ParameterizedTest(name = "dying side: {0}")
    @ValueSource(strings = {"left", "right"})
    void parDiesWithTheVeryDefectOfTheSideThatDied(String dying) {
        IllegalStateException bug = new IllegalStateException("bug");
        Effect<String, Integer> dies = Effect.sync(() -> {
            throw bug;
        });
        Effect<String, Integer> other = Effect.never();
        Exit<String, Pair<Integer, Integer>> exit =
                (dying.equals("left") ? Concurrency.par(dies, other) : Concurrency.par(other, dies)).run();
        assertThat(exit).isEqualTo(Exit.defect(bug));
    }

    @Test
    void parFailsWithTheFirstFailureInTimeAndKeepsTheLaterOne() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            // right fails at 10 ms; left cannot be cancelled and fails at 20 ms
            Effect<String, Integer> left = after(20, Effect.<String, Integer>fail("second")).uncancellable();
            Effect<String, Integer> right = after(10, Effect.fail("first"));
            Exit<String, Pair<Integer, Integer>> exit = v.run(Concurrency.par(left, right));
            assertThat(exit).isEqualTo(Exit.failure("first"));
            assertThat(v.reported.typedErrors()).containsExactly("second");
            assertThat(v.nowMillis()).isEqualTo(20);
        }
    }

    @Test
    void parKeepsALaterDefectAsSuppressedOnTheFirst() {
        RuntimeException first = new RuntimeException("first");
        RuntimeException second = new RuntimeException("second");
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, Integer> left = after(20, Effect.<String, Integer>sync(() -> {
                throw second;
            })).uncancellable();
            Effect<String, Integer> right = after(10, Effect.sync(() -> {
                throw first;
            }));
            Exit<String, Pair<Integer, Integer>> exit = v.run(Concurrency.par(left, right));
            assertThat(exit).isEqualTo(Exit.defect(first));
            assertThat(first.getSuppressed()).filteredOn(s -> !(s instanceof EffectTrace)).containsExactly(second);
            assertThat(v.reported.errors()).isEmpty();
        }
    }

    @Test
    void parReturnsWhenTheSlowerSideSucceeds() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, Pair<Integer, Integer>> exit = v.run(Concurrency.par(
                    after(30, Effect.succeed(1)), after(50, Effect.succeed(2))));
            assertThat(exit).isEqualTo(Exit.success(new Pair<>(1, 2)));
            assertThat(v.nowMillis()).isEqualTo(50);
        }
    }

    /** Regression: par waited uninterruptibly for its right side after the left had succeeded. */
    @Test
    void parCancelledWhileWaitingForTheOtherSideCancelsItAndWaitsForIt() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Effect<String, Integer> right = Effect.<String, Integer>never().ensuring(log.add("right finalized"));
            Exit<String, Pair<Integer, Integer>> exit = v.run(Concurrency.timeoutWith(10, "timeout",
                    Concurrency.par(Effect.<String, Integer>succeed(1), right)));
            assertThat(exit).isEqualTo(Exit.failure("timeout"));
            assertThat(log.events()).containsExactly("right finalized");
            assertThat(v.nowMillis()).isEqualTo(10);
        }
    }

    @Test
    void parOfACancelledCallerCancelsBothSides() {
        EventLog log = new EventLog();
        CountDownLatch started = new CountDownLatch(2);
        Effect<String, Integer> left = countDown(started).then(Effect.<String, Integer>never())
                .ensuring(log.add("left finalized"));
        Effect<String, Integer> right = countDown(started).then(Effect.<String, Integer>never())
                .ensuring(log.add("right finalized"));
        Exit<String, Unit> exit = Effect.<String, Unit>gen(d -> {
            Task<String, Pair<Integer, Integer>> t = d.await(Concurrency.spawn(Concurrency.par(left, right)));
            d.await(await(started));
            d.await(t.cancel());
            return Unit.UNIT;
        }).run();
        assertThat(exit.isSuccess()).isTrue();
        assertThat(log.events()).containsExactlyInAnyOrder("left finalized", "right finalized");
    }

    /** Regression: a par/race branch's own spawns escaped to the enclosing scope and outlived the par. */
    @ParameterizedTest(name = "spawning side: {0}")
    @ValueSource(strings = {"left", "right"})
    void aParBranchsSpawnsAreCancelledAndAwaitedWhenTheBranchEnds(String side) {
        EventLog log = new EventLog();
        CountDownLatch started = new CountDownLatch(1);
        Effect<String, Integer> spawner = Concurrency.spawn(countDown(started).then(Effect.<String, Integer>never())
                .ensuring(log.add("grandchild finalized"))).then(await(started)).as(1);
        Effect<String, Integer> plain = Effect.succeed(2);
        Effect<String, Pair<Integer, Integer>> par = side.equals("left")
                ? Concurrency.par(spawner, plain) : Concurrency.par(plain, spawner);
        Exit<String, Unit> exit = par.flatMap(p -> log.<String>add("par returned")).run();
        assertThat(exit.isSuccess()).isTrue();
        assertThat(log.events()).containsExactly("grandchild finalized", "par returned");
    }

    @ParameterizedTest(name = "spawning side: {0}")
    @ValueSource(strings = {"left", "right"})
    void aFailureOfAParBranchsSpawnFailsThePar(String side) {
        Effect<String, Integer> spawner = Concurrency.spawn(Effect.<String, Integer>fail("grandchild"))
                .then(Effect.<String, Integer>never());
        Effect<String, Integer> other = Effect.never();
        Exit<String, Pair<Integer, Integer>> exit =
                (side.equals("left") ? Concurrency.par(spawner, other) : Concurrency.par(other, spawner)).run();
        assertThat(exit).isEqualTo(Exit.failure("grandchild"));
    }

    // ---------------------------------------------------------------------------------------------------
    // parAll

    @Test
    void parAllYieldsTheValuesInInputOrderWhateverTheOrderOfCompletion() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            List<Effect<String, Integer>> effects = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                effects.add(after(80 - 10L * i, Effect.succeed(i))); // the last one finishes first
            }
            assertThat(v.run(Concurrency.parAll(effects))).isEqualTo(Exit.success(List.of(0, 1, 2, 3, 4, 5, 6, 7)));
            assertThat(v.nowMillis()).isEqualTo(80);
        }
    }

    @Test
    void parAllOfNoEffectsIsTheEmptyList() {
        assertThat(Concurrency.parAll(List.<Effect<String, Integer>>of()).run()).isEqualTo(Exit.success(List.of()));
    }

    @Test
    void parAllFailsWithTheFirstFailureAndCancelsTheRest() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            AtomicInteger finalized = new AtomicInteger();
            List<Effect<String, Integer>> effects = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Effect<String, Integer> e = i == 3 ? after(5, Effect.fail("three")) : after(100, Effect.succeed(i));
                effects.add(e.ensuring(Effect.sync(finalized::incrementAndGet)));
            }
            assertThat(v.run(Concurrency.parAll(effects))).isEqualTo(Exit.failure("three"));
            assertThat(finalized).hasValue(6);
            assertThat(v.nowMillis()).isEqualTo(5);
        }
    }

    /**
     * Regression: a parAll element that failed before its later siblings had been started could not cancel
     * them, so parAll waited for them forever.
     */
    @RepeatedTest(20)
    void parAllCancelsSiblingsStartedAfterAnEarlyFailure() {
        List<Effect<String, Integer>> effects = new ArrayList<>();
        effects.add(Effect.never());
        effects.add(Effect.fail("early"));
        for (int i = 0; i < 30; i++) {
            effects.add(Effect.never());
        }
        assertThat(Concurrency.parAll(effects).run()).isEqualTo(Exit.failure("early"));
    }

    @ParameterizedTest(name = "maxParallelism {0}")
    @ValueSource(ints = {1, 2, 3, 7})
    void parAllWithMaxParallelismNeverExceedsItAndKeepsInputOrder(int max) {
        try (VirtualRuntime v = new VirtualRuntime()) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger peak = new AtomicInteger();
            List<Effect<String, Integer>> effects = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int value = i;
                effects.add(Effect.<String, Integer>sync(() -> {
                    peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                    return value;
                }).flatMap(x -> after(1 + (x * 7L) % 5, Effect.succeed(x)))
                        .ensuring(Effect.sync(running::decrementAndGet)));
            }
            Exit<String, List<Integer>> exit = v.run(Concurrency.parAll(max, effects));
            assertThat(exit).isEqualTo(Exit.success(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
            assertThat(peak.get()).isEqualTo(Math.min(max, 12));
        }
    }

    @Test
    void parAllWithMaxParallelismFailsFast() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            AtomicInteger ran = new AtomicInteger();
            List<Effect<String, Integer>> effects = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Effect<String, Integer> e = i == 1 ? after(5, Effect.fail("one")) : after(10, Effect.succeed(i));
                effects.add(Effect.<String, Integer>sync(ran::incrementAndGet).then(e));
            }
            assertThat(v.run(Concurrency.parAll(2, effects))).isEqualTo(Exit.failure("one"));
            assertThat(ran).hasValue(2); // nothing new starts after the failure
        }
    }
}
