package aivi.concurrency;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static aivi.concurrency.Concurrency.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The everyday tools: Exit accessors, tap, par of 3 and 4, select over lists, Duration overloads, permits. */
class EverydayToolsTest {

    // ------------------------------------------------------------------------------------------- Exit

    @Test
    void exitAccessorsTellTheCaseAndExtractItsContent() {
        IllegalStateException bug = new IllegalStateException("bug");
        Exit<String, Integer> ok = Exit.success(1);
        Exit<String, Integer> failed = Exit.failure("e");
        Exit<String, Integer> died = Exit.defect(bug);
        Exit<String, Integer> cancelled = Exit.cancelled();
        assertThat(List.of(ok.isSuccess(), ok.isFailure(), ok.isDefect(), ok.isCancelled()))
                .containsExactly(true, false, false, false);
        assertThat(List.of(failed.isSuccess(), failed.isFailure(), failed.isDefect(), failed.isCancelled()))
                .containsExactly(false, true, false, false);
        assertThat(died.isDefect()).isTrue();
        assertThat(cancelled.isCancelled()).isTrue();
        assertThat(ok.getValue()).contains(1);
        assertThat(failed.getValue()).isEmpty();
        assertThat(failed.getError()).contains("e");
        assertThat(ok.getError()).isEmpty();
        assertThat(died.getCause()).containsSame(bug);
        assertThat(cancelled.getCause()).isEmpty();
        assertThat(ok.getOrElse(0)).isEqualTo(1);
        assertThat(cancelled.getOrElse(0)).isZero();
        assertThat(Exit.<String, Integer>success(null).getValue()).isEmpty();
    }

    @Test
    void exitFoldCallsTheFunctionOfItsCase() {
        List<Exit<String, Integer>> exits = List.of(Exit.success(1), Exit.failure("e"),
                Exit.defect(new IllegalStateException("bug")), Exit.cancelled());
        List<String> folded = exits.stream()
                .map(x -> x.fold(v -> "value " + v, e -> "error " + e, t -> "bug " + t.getMessage(), () -> "cancelled"))
                .toList();
        assertThat(folded).containsExactly("value 1", "error e", "bug bug", "cancelled");
        assertThat(Exit.<String, Integer>failure("e").mapError(String::length)).isEqualTo(Exit.failure(1));
        assertThat(Exit.<String, Integer>success(2).mapError(String::length)).isEqualTo(Exit.success(2));
        assertThatThrownBy(() -> Exit.success(1).fold(null, e -> 0, t -> 0, () -> 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("onSuccess");
    }

    // -------------------------------------------------------------------------------------------- tap

    @Test
    void tapRunsTheSideStepAndKeepsTheValue() {
        List<String> log = new CopyOnWriteArrayList<>();
        Effect<String, Integer> e = Effect.<String, Integer>succeed(42).tap(n -> Effect.sync(() -> log.add("got " + n)));
        assertThat(e.runOrThrow()).isEqualTo(42);
        assertThat(log).containsExactly("got 42");
    }

    @Test
    void aFailingTapFailsTheWholeAndTapIsSkippedOnFailure() {
        Effect<String, Integer> failingTap = Effect.<String, Integer>succeed(1).tap(n -> Effect.fail("tap failed"));
        assertThat(failingTap.run()).isEqualTo(Exit.failure("tap failed"));
        AtomicInteger taps = new AtomicInteger();
        Effect<String, Integer> failed = Effect.<String, Integer>fail("x").tap(n -> Effect.sync(taps::incrementAndGet));
        assertThat(failed.run()).isEqualTo(Exit.failure("x"));
        assertThat(taps).hasValue(0);
    }

    @Test
    void tapErrorSeesTheErrorAndKeepsIt() {
        List<String> log = new CopyOnWriteArrayList<>();
        Effect<String, Integer> e = Effect.<String, Integer>fail("503").tapError(err -> Effect.sync(() -> log.add(err)));
        assertThat(e.run()).isEqualTo(Exit.failure("503"));
        assertThat(log).containsExactly("503");
        Effect<String, Integer> ok = Effect.<String, Integer>succeed(1).tapError(err -> Effect.sync(() -> log.add("no")));
        assertThat(ok.runOrThrow()).isEqualTo(1);
        IllegalStateException bug = new IllegalStateException("bug");
        Effect<String, Integer> died = Effect.<String, Integer>sync(() -> {
            throw bug;
        }).tapError(err -> Effect.sync(() -> log.add("no")));
        assertThat(died.run()).isEqualTo(Exit.defect(bug));
        assertThat(log).containsExactly("503");
        Effect<String, Integer> replaced = Effect.<String, Integer>fail("a").tapError(err -> Effect.fail("b"));
        assertThat(replaced.run()).isEqualTo(Exit.failure("b"));
    }

    @Test
    void tapAndTapErrorRejectANullResultWithAMessage() {
        Exit<String, Integer> exit = Effect.<String, Integer>succeed(1).tap(n -> null).run();
        assertThat(exit.getCause()).get().asString().contains("Effect.tap: f returned null");
    }

    // ---------------------------------------------------------------------------------------- par 3/4

    @Test
    void parOfThreeAndFourCombinesValuesOfDifferentTypes() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, String> three = par(after(30, "Ada"), after(20, 36), after(10, true),
                    (name, age, admin) -> name + " " + age + " " + admin);
            assertThat(vr.run(three)).isEqualTo(Exit.success("Ada 36 true"));
            assertThat(vr.nowMillis()).isEqualTo(30); // at once, not 60
            Effect<String, Integer> four = par(Effect.succeed(1), Effect.succeed(2L), Effect.succeed("3"),
                    Effect.succeed(4.0), (i, l, s, d) -> i + l.intValue() + Integer.parseInt(s) + d.intValue());
            assertThat(vr.run(four)).isEqualTo(Exit.success(10));
        }
    }

    @Test
    void parOfThreeFailsFastAndTheOthersHaveTerminated() {
        List<String> log = new CopyOnWriteArrayList<>();
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, String> slow = EverydayToolsTest.<String, String>after(1_000, "slow")
                    .ensuring(Effect.sync(() -> log.add("slow finalized")));
            Effect<String, Integer> failing = Concurrency.<String>sleep(10).then(Effect.fail("boom"));
            Effect<String, String> all = par(slow, failing, slow, (a, b, c) -> a + b + c);
            assertThat(vr.run(all)).isEqualTo(Exit.failure("boom"));
            assertThat(log).containsExactly("slow finalized", "slow finalized");
            assertThat(vr.nowMillis()).isEqualTo(10);
        }
    }

    private static <E, A> Effect<E, A> after(long ms, A value) {
        return Concurrency.<E>sleep(ms).as(value);
    }

    // ---------------------------------------------------------------------------------------- timeouts

    @Test
    void timeoutWithADurationTimesOutOnTheRuntimeClock() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            assertThat(vr.run(timeoutWith(Duration.ofMillis(100), "timeout", after(5_000, "late"))))
                    .isEqualTo(Exit.failure("timeout"));
            assertThat(vr.nowMillis()).isEqualTo(100);
            assertThat(vr.run(timeoutWith(Duration.ofNanos(1), "timeout", Effect.succeed(9))))
                    .as("a positive limit below 1 ms is kept, not treated as zero").isEqualTo(Exit.success(9));
            assertThat(vr.run(timeoutWith(Duration.ZERO, "timeout", Effect.succeed(9)))).isEqualTo(Exit.failure("timeout"));
            assertThat(vr.run(timeoutWith(Duration.ofSeconds(Long.MAX_VALUE), "timeout", Effect.succeed(9))))
                    .as("a huge limit saturates instead of overflowing").isEqualTo(Exit.success(9));
        }
        assertThatThrownBy(() -> timeoutWith((Duration) null, "t", Effect.succeed(1)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("limit");
    }

    // ------------------------------------------------------------------------------------------ select

    @Test
    void selectOverAListOfClausesCommitsTheReadyOne() {
        Effect<String, String> program = Effect.gen(d -> {
            List<Pair<Sender<String>, Receiver<String>>> channels = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                channels.add(d.await(makeBounded(1)));
            }
            d.await(channels.get(3).first().send("from 3"));
            List<Clause<String>> clauses = new ArrayList<>();
            for (var ch : channels) {
                clauses.add(Clause.recv(ch.second(), r -> r.toString()));
            }
            String selected = d.await(select(clauses));
            String defaulted = d.await(selectOrDefault(() -> "none", clauses));
            return selected + ", " + defaulted;
        });
        assertThat(program.runOrThrow()).isEqualTo("Ok[value=from 3], none");
        assertThatThrownBy(() -> select(List.<Clause<String>>of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one clause");
        List<Clause<String>> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> select(withNull)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("clause 0 is null");
    }

    @Test
    void selectPriorityAlwaysTakesTheEarliestReadyClause() {
        int rounds = 500;
        Effect<String, int[]> program = Effect.gen(d -> {
            Pair<Sender<Integer>, Receiver<Integer>> a = d.await(make());
            Pair<Sender<Integer>, Receiver<Integer>> b = d.await(make());
            for (int i = 0; i < rounds; i++) {
                d.await(a.first().send(i));
                d.await(b.first().send(i));
            }
            int[] chosen = new int[2];
            for (int i = 0; i < rounds; i++) {
                int c = d.await(selectPriority(Clause.recv(b.second(), r -> 1), Clause.recv(a.second(), r -> 0)));
                chosen[c]++;
            }
            return chosen;
        });
        assertThat(program.runOrThrow()).containsExactly(0, rounds); // b first: always b while b has values
    }

    @Test
    void selectWithinADurationTimesOutOnTheRuntimeClock() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, String> program = Concurrency.<String, Pair<Sender<String>, Receiver<String>>>makeBounded(0)
                    .flatMap(ch -> selectWithin(Duration.ofMillis(250), () -> "timed out",
                            List.of(Clause.recv(ch.second(), r -> r.toString()))));
            assertThat(vr.run(program)).isEqualTo(Exit.success("timed out"));
            assertThat(vr.nowMillis()).isEqualTo(250);
            Effect<String, String> varargs = Concurrency.<String, Pair<Sender<String>, Receiver<String>>>makeBounded(0)
                    .flatMap(ch -> selectWithin(Duration.ofMillis(50), () -> "timed out",
                            Clause.recv(ch.second(), r -> r.toString())));
            assertThat(vr.run(varargs)).isEqualTo(Exit.success("timed out"));
            assertThat(vr.nowMillis()).isEqualTo(300);
        }
    }

    // ---------------------------------------------------------------------------------------- permits

    @Test
    void permitsBoundHowManyEffectsRunAtOnceAndAreGivenBackOnEveryOutcome() {
        Permits permits = Permits.of(2);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Effect<String, Integer> job = Effect.<String, Integer>sync(() -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            return 1;
        }).zipLeft(Concurrency.sleep(10)).zipLeft(Effect.sync(running::decrementAndGet));
        List<Effect<String, Integer>> jobs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            jobs.add(permits.withPermit(job));
        }
        jobs.add(permits.withPermit(Effect.<String, Integer>fail("failed holding a permit")).catchAll(e -> Effect.succeed(0)));
        try (VirtualRuntime vr = new VirtualRuntime()) {
            assertThat(vr.run(parAll(jobs))).isEqualTo(Exit.success(List.of(1, 1, 1, 1, 1, 1, 0)));
            assertThat(most).hasValue(2);
            assertThat(vr.nowMillis()).isEqualTo(30); // 6 jobs of 10 ms, 2 at a time
        }
        assertThat(permits.available()).isEqualTo(2);
        assertThat(permits).hasToString("Permits[2 of 2 available]");
    }

    @Test
    void aFiberCancelledWhileWaitingForAPermitTakesNone() {
        Permits permits = Permits.of(1);
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, String> program = Effect.gen(d -> {
                Pair<Sender<Unit>, Receiver<Unit>> held = d.await(makeBounded(1));
                Task<String, Unit> holder = d.await(spawn(permits.withPermit(
                        held.first().<String>send(Unit.UNIT).then(Concurrency.sleep(100)))));
                d.await(held.second().recv()); // the holder has the permit
                Task<String, Unit> waiter = d.await(spawn(permits.withPermit(Effect.<String>unit())));
                d.await(Concurrency.sleep(10)); // virtual time moves only once the waiter is parked
                assertThat(waiter.poll()).as("the waiter is still waiting").isEmpty();
                d.await(waiter.cancel());
                d.await(holder.join());
                return "waiter cancelled: " + d.await(waiter.isCancelled());
            });
            assertThat(vr.run(program)).isEqualTo(Exit.success("waiter cancelled: true"));
        }
        assertThat(permits.available()).isEqualTo(1);
        assertThatThrownBy(() -> Permits.of(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Permits.of: permits must be >= 1, was 0");
        assertThatThrownBy(() -> permits.withPermits(2, Effect.unit())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and 1, was 2");
    }

    @Test
    void effectsFixesTheErrorTypeOfTheInstanceMethodsThatLeaveItFree() {
        Effects<String> fx = Effects.of(String.class);
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, String> program = fx.spawn(fx.<Integer>never()).flatMap(t -> fx.cancel(t)
                    .then(fx.await(t)).map(Exit::toString)
                    .flatMap(cancelled -> fx.exit(Effect.<Integer, String>fail(404)).map(e -> cancelled + " " + e))
                    .flatMap(s -> fx.fold(Effect.<Integer, String>fail(500), e -> "error " + e, v -> v).map(f -> s + " " + f))
                    .flatMap(s -> fx.timeoutWith(Duration.ofMillis(20), "timeout", fx.sleep(Duration.ofMillis(50)).as(s))));
            assertThat(vr.run(program)).isEqualTo(Exit.failure("timeout"));
            Effect<String, String> ok = fx.timeoutWith(Duration.ofMillis(100), "timeout",
                    fx.sleep(Duration.ofMillis(50)).then(fx.spawn(fx.<Integer>never())).flatMap(t -> fx.cancel(t)
                    .then(fx.await(t)).map(Exit::toString)
                    .flatMap(c -> fx.exit(Effect.<Integer, String>fail(404)).map(e -> c + " " + e))
                    .flatMap(x -> fx.fold(Effect.<Integer, String>fail(500), e -> "error " + e, v -> v).map(f -> x + " " + f))));
            assertThat(vr.run(ok)).isEqualTo(Exit.success("Cancelled[] Failure[error=404] error 500"));
        }
    }

    // ------------------------------------------------------------------------------- task messages

    @Test
    void aTaskThatOutlivedItsScopeWasCancelledAndAwaitSaysSo() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Task<String, Integer>> escaped = scope(s -> s.spawn(EverydayToolsTest.<String, Integer>after(100, 1)));
            Effect<String, Exit<String, Integer>> awaited = escaped.flatMap(Task::await);
            assertThat(vr.run(awaited)).isEqualTo(Exit.success(Exit.cancelled()));
            Effect<String, Integer> joined = escaped.flatMap(Task::join);
            assertThat(vr.run(joined)).as("joining a cancelled task ends the joiner cancelled").isEqualTo(Exit.cancelled());
        }
    }

    @Test
    void effectBuildersAreAnnotatedSoADroppedEffectIsFlagged() {
        for (Class<?> c : List.of(Effect.class, Concurrency.class, Effects.class, Sender.class, Receiver.class,
                Task.class, Scope.class, Permits.class)) {
            assertThat(c.isAnnotationPresent(com.google.errorprone.annotations.CheckReturnValue.class)).as("%s", c).isTrue();
        }
        // @CanIgnoreReturnValue on run() has CLASS retention: the compiler sees it, reflection does not.
    }

    @Test
    void aHolderCancelledWhileHoldingGivesThePermitBack() {
        Permits permits = Permits.of(1);
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Exit<String, Unit>> program = Effect.gen(d -> {
                Task<String, Unit> holder = d.await(spawn(permits.withPermit(Effect.<String, Unit>never())));
                d.await(Concurrency.sleep(10));
                int whileHeld = permits.available();
                d.await(holder.cancel());
                return d.await(permits.withPermit(Effect.<String, Unit>sync(() -> {
                    assertThat(whileHeld).isZero();
                    return Unit.UNIT;
                })).exit());
            });
            assertThat(vr.run(program)).isEqualTo(Exit.success(Exit.success(Unit.UNIT)));
        }
        assertThat(permits.available()).isEqualTo(1);
    }

    @Test
    void aCallbackThatThrowsIsADefectOrThrowsOutOfFold() {
        IllegalStateException bug = new IllegalStateException("bug");
        assertThat(Effect.<String, Integer>succeed(1).tap(n -> {
            throw bug;
        }).run()).isEqualTo(Exit.defect(bug));
        assertThat(Effect.<String, Integer>fail("x").tapError(e -> {
            throw bug;
        }).run()).isEqualTo(Exit.defect(bug));
        assertThat(Concurrency.par(Effect.<String, Integer>succeed(1), Effect.succeed(2), Effect.succeed(3),
                (a, b, c) -> {
                    throw bug;
                }).run()).isEqualTo(Exit.defect(bug));
        assertThatThrownBy(() -> Exit.success(1).fold(v -> {
            throw bug;
        }, e -> 0, t -> 0, () -> 0)).isSameAs(bug);
    }

    // ------------------------------------------------------------------------------------ durations

    @Test
    void durationsArePrintedForPeople() {
        assertThat(DurationText.format(Duration.ofMillis(100))).isEqualTo("100 ms");
        assertThat(DurationText.format(Duration.ofMillis(1500))).isEqualTo("1.5 s");
        assertThat(DurationText.format(Duration.ofSeconds(5))).isEqualTo("5 s");
        assertThat(DurationText.format(Duration.ofMinutes(2))).isEqualTo("2 min");
        assertThat(DurationText.format(Duration.ofHours(3))).isEqualTo("3 h");
        assertThat(DurationText.format(Duration.ofSeconds(90))).isEqualTo("1 min 30 s");
        assertThat(DurationText.format(Duration.ofNanos(250_000))).isEqualTo("250 µs");
        assertThat(DurationText.format(Duration.ofNanos(1_500_000))).isEqualTo("1.5 ms");
        assertThat(DurationText.format(Duration.ofNanos(7))).isEqualTo("7 ns");
        assertThat(DurationText.format(Duration.ZERO)).isEqualTo("0 ms");
        assertThat(DurationText.format(Duration.ofMillis(-20))).isEqualTo("-20 ms");
        assertThat(Schedule.fixedDelay(Duration.ofMillis(250)).maxElapsed(Duration.ofSeconds(30)))
                .hasToString("Schedule[fixedDelay(250 ms), maxElapsed=30 s]");
    }
}
