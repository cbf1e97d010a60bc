package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** SPEC §2 spawn / Task: join, await, cancel, isCancelled, poll. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TaskTest {

    static <A> Effect<String, A> after(long millis, Effect<String, A> effect) {
        return Concurrency.<String>sleep(millis).then(effect);
    }

    @Test
    void joinIsRepeatableAndGivesTheSameOutcome() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, List<Object>> exit = v.run(Effect.<String, List<Object>>gen(d -> {
                Task<String, Integer> t = d.await(Concurrency.spawn(after(10, Effect.succeed(42))));
                int first = d.await(t.join());
                long firstAt = v.nowMillis();
                int second = d.await(t.join()); // settled: returns at once, same value
                return List.of(first, second, firstAt, v.nowMillis());
            }));
            assertThat(exit).isEqualTo(Exit.success(List.of(42, 42, 10L, 10L)));
        }
    }

    @Test
    void joiningAFailedTaskFailsWithTheSameErrorEveryTime() {
        Object error = new Object();
        try (VirtualRuntime v = new VirtualRuntime()) {
            // a detached task: its failure does not fail the joiner's scope, so the joiner can join twice
            Exit<Object, List<Exit<Object, Integer>>> exit = v.run(Effect.<Object, List<Exit<Object, Integer>>>gen(d -> {
                Task<Object, Integer> t = d.await(Concurrency.spawnDetached(
                        Concurrency.<Object>sleep(10).then(Effect.<Object, Integer>fail(error))));
                Exit<Object, Integer> first = d.await(t.join().<Object>exit());
                Exit<Object, Integer> second = d.await(t.join().<Object>exit());
                return List.of(first, second);
            }));
            assertThat(exit).isEqualTo(Exit.success(List.of(Exit.failure(error), Exit.failure(error))));
            Exit.Failure<Object, Integer> f = (Exit.Failure<Object, Integer>) ((Exit.Success<Object, List<Exit<Object, Integer>>>) exit).value().get(1);
            assertThat(f.error()).isSameAs(error);
            assertThat(v.reported.errors()).isEmpty(); // joined, so observed
        }
    }

    @Test
    void joiningADeadTaskDiesWithTheVeryDefect() {
        IllegalStateException bug = new IllegalStateException("bug");
        Exit<String, Integer> exit = Effect.<String, Integer>gen(d -> {
            Task<String, Integer> t = d.await(Concurrency.spawnDetached(Effect.<String, Integer>sync(() -> {
                throw bug;
            })));
            Exit<String, Integer> first = d.await(t.join().<String>exit());
            Exit<String, Integer> second = d.await(t.join().<String>exit());
            assertThat(first).isEqualTo(Exit.defect(bug));
            assertThat(second).isEqualTo(first);
            return d.await(t.join());
        }).run();
        assertThat(exit).isEqualTo(Exit.defect(bug));
        assertThat(((Exit.Defect<String, Integer>) exit).cause()).isSameAs(bug);
    }

    @Test
    void joiningACancelledTaskEndsTheJoinerCancelled() {
        EventLog log = new EventLog();
        Exit<String, Integer> exit = Effect.<String, Integer>gen(d -> {
            Task<String, Integer> t = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
            d.await(t.cancel());
            return d.await(t.join().ensuring(log.add("joiner finalized")).map(x -> x + 1));
        }).run();
        assertThat(exit).isEqualTo(Exit.cancelled());
        assertThat(log.events()).containsExactly("joiner finalized");
    }

    @Test
    void awaitYieldsTheOutcomeAsAValueAndNeverFails() {
        Exit<String, Exit<String, Integer>> exit = Concurrency.<String, Exit<String, Integer>>scope(s ->
                s.spawn(Effect.<String, Integer>fail("boom").<String>exit().flatMap(Effect::fromExit).<String>exit())
                        .flatMap(t -> t.<String>join())).run();
        assertThat(exit).isEqualTo(Exit.success(Exit.failure("boom")));
    }

    @Test
    void cancelIsIdempotentAndReturnsAfterFinalizers() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            // the finalizer takes 30 ms of virtual time; cancel must not return before it has run
            Effect<String, Integer> slowToDie = Effect.<String, Integer>never()
                    .ensuring(Concurrency.<String>sleep(30).then(log.add("finalizer done")));
            Exit<String, Boolean> exit = v.run(Effect.<String, Boolean>gen(d -> {
                Task<String, Integer> t = d.await(Concurrency.spawn(slowToDie));
                d.await(Concurrency.<String>sleep(10));
                d.await(t.cancel());
                log.record("first cancel returned at " + v.nowMillis());
                d.await(t.cancel());
                log.record("second cancel returned at " + v.nowMillis());
                return d.await(t.isCancelled());
            }));
            assertThat(exit).isEqualTo(Exit.success(true));
            assertThat(log.events()).containsExactly("finalizer done", "first cancel returned at 40",
                    "second cancel returned at 40");
        }
    }

    @Test
    void concurrentCancelsAllReturnAfterTheOneFinalizerRan() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Effect<String, Integer> slowToDie = Effect.<String, Integer>never()
                    .ensuring(Concurrency.<String>sleep(30).then(log.add("finalizer done")));
            Exit<String, Unit> exit = v.run(Effect.<String, Unit>gen(d -> {
                Task<String, Integer> t = d.await(Concurrency.spawn(slowToDie));
                d.await(Concurrency.<String>sleep(10));
                d.await(Concurrency.par(t.<String>cancel().then(log.<String>add("canceller A returned")),
                        t.<String>cancel().then(log.<String>add("canceller B returned"))));
                return Unit.UNIT;
            }));
            assertThat(exit.isSuccess()).isTrue();
            assertThat(log.events()).hasSize(3).first().isEqualTo("finalizer done");
        }
    }

    @Test
    void cancellingAFinishedTaskChangesNothing() {
        Exit<String, List<Object>> exit = Effect.<String, List<Object>>gen(d -> {
            Task<String, Integer> t = d.await(Concurrency.spawn(Effect.<String, Integer>succeed(7)));
            int before = d.await(t.join());
            d.await(t.cancel());
            d.await(t.cancel());
            return List.of(before, d.await(t.join()), d.await(t.isCancelled()), t.poll());
        }).run();
        assertThat(exit).isEqualTo(Exit.success(List.of(7, 7, false, Optional.of(Exit.success(7)))));
    }

    @Test
    void isCancelledTrueOnlyIfCancellationReachedTheTaskBeforeItCompleted() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, List<Boolean>> exit = v.run(Effect.<String, List<Boolean>>gen(d -> {
                Task<String, Integer> running = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
                Task<String, Integer> done = d.await(Concurrency.spawn(Effect.<String, Integer>succeed(1)));
                boolean runningBefore = d.await(running.isCancelled());
                d.await(done.join());
                d.await(running.cancel());
                d.await(done.cancel());
                return List.of(runningBefore, d.await(running.isCancelled()), d.await(done.isCancelled()));
            }));
            assertThat(exit).isEqualTo(Exit.success(List.of(false, true, false)));
        }
    }

    @Test
    void aTaskWhoseLastStepFinishedAsTheCancelArrivedKeepsItsResult() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            // the task's last step is uncancellable and still running at 10 ms when the cancel arrives;
            // it finishes at 20 ms and nothing of the task is left to cancel: the value is kept
            Effect<String, Integer> lastStep = Concurrency.<String>sleep(20).as(42).uncancellable();
            Exit<String, List<Object>> exit = v.run(Effect.<String, List<Object>>gen(d -> {
                Task<String, Integer> t = d.await(Concurrency.spawn(lastStep));
                d.await(Concurrency.<String>sleep(10));
                d.await(t.cancel());
                return List.of(v.nowMillis(), d.await(t.<String>await()), d.await(t.isCancelled()));
            }));
            assertThat(exit).isEqualTo(Exit.success(List.of(20L, Exit.success(42), false)));
        }
    }

    @Test
    void cancellingTheJoinerDoesNotCancelTheTask() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, List<Object>> exit = v.run(Effect.<String, List<Object>>gen(d -> {
                Task<String, Integer> t = d.await(Concurrency.spawn(after(50, Effect.succeed(5))));
                Exit<String, Integer> joined = d.await(Concurrency.timeoutWith(10, "join timed out", t.join()).<String>exit());
                return List.of(joined, d.await(t.join()), v.nowMillis());
            }));
            assertThat(exit).isEqualTo(Exit.success(List.of(Exit.failure("join timed out"), 5, 50L)));
        }
    }

    @Test
    void pollIsEmptyWhileRunningAndTheOutcomeAfterwards() {
        Exit<String, List<Object>> exit = Effect.<String, List<Object>>gen(d -> {
            Task<String, Integer> t = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
            Optional<Exit<String, Integer>> whileRunning = t.poll();
            d.await(t.cancel());
            return List.of(whileRunning, t.poll(), !t.name().isEmpty());
        }).run();
        assertThat(exit).isEqualTo(Exit.success(List.of(Optional.empty(), Optional.of(Exit.cancelled()), true)));
    }
}
