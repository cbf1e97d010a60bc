package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** SPEC §2 scope: body on the calling fiber, children cancelled at body end, fail-fast, nesting, root scope. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ScopeTest {

    static <A> Effect<String, A> after(long millis, Effect<String, A> effect) {
        return Concurrency.<String>sleep(millis).then(effect);
    }

    @Test
    void theBodyRunsOnTheCallingFiber() {
        Exit<String, Boolean> exit = Effect.<String, Boolean>gen(d -> {
            Thread outside = Thread.currentThread();
            Thread inside = d.await(Concurrency.scope(s -> Effect.<String, Thread>sync(Thread::currentThread)));
            return inside == outside;
        }).run();
        assertThat(exit).isEqualTo(Exit.success(true));
    }

    @Test
    void scopeCancelsChildrenStillRunningWhenTheBodyEnds() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Exit<String, Unit> exit = v.run(Concurrency.<String, String>scope(s ->
                    s.spawn(Effect.<String, String>never().ensuring(log.add("child finalized")))
                            .then(after(10, Effect.succeed("body value"))))
                    .flatMap(value -> log.<String>add("scope returned " + value)));
            assertThat(exit.isSuccess()).isTrue();
            assertThat(log.events()).containsExactly("child finalized", "scope returned body value");
            assertThat(v.nowMillis()).isEqualTo(10);
        }
    }

    @Test
    void scopeJoinAllWaitsForAllChildren() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            AtomicInteger completed = new AtomicInteger();
            Exit<String, Integer> exit = v.run(Concurrency.scope(s -> Effect.<String, Integer>gen(d -> {
                for (int i = 1; i <= 5; i++) {
                    d.await(s.spawn(after(10L * i, Effect.<String, Integer>sync(completed::incrementAndGet))));
                }
                d.await(s.<String>joinAll());
                return completed.get();
            })));
            assertThat(exit).isEqualTo(Exit.success(5));
            assertThat(v.nowMillis()).isEqualTo(50);
        }
    }

    @Test
    void joinAllFailsFastWhenAChildFails() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, Unit> exit = v.run(Concurrency.scope(s -> s.spawn(after(100, Effect.<String>unit()))
                    .then(s.spawn(after(10, Effect.<String, Unit>fail("child failed"))))
                    .then(s.<String>joinAll())));
            assertThat(exit).isEqualTo(Exit.failure("child failed"));
            assertThat(v.nowMillis()).isEqualTo(10);
        }
    }

    @Test
    void scopeFailsFastWhenAChildFailsAndCancelsTheBodyAndSiblings() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Exit<String, String> exit = v.run(Concurrency.scope(s ->
                    s.spawn(Effect.<String, String>never().ensuring(log.add("sibling finalized")))
                            .then(s.spawn(after(10, Effect.<String, String>fail("child failed"))))
                            .then(Effect.<String, String>never().ensuring(log.add("body finalized")))));
            assertThat(exit).isEqualTo(Exit.failure("child failed"));
            assertThat(log.events()).containsExactlyInAnyOrder("sibling finalized", "body finalized");
            assertThat(v.nowMillis()).isEqualTo(10);
            assertThat(v.reported.errors()).isEmpty();
        }
    }

    @Test
    void scopeDiesWithTheVeryDefectOfAChild() {
        IllegalStateException bug = new IllegalStateException("bug");
        Exit<String, String> exit = Concurrency.<String, String>scope(s ->
                s.spawn(Effect.<String, String>sync(() -> {
                    throw bug;
                })).then(Effect.<String, String>never())).run();
        assertThat(exit).isEqualTo(Exit.defect(bug));
    }

    @Test
    void aLaterChildFailureIsKeptNotLost() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, String> exit = v.run(Concurrency.scope(s ->
                    s.spawn(after(20, Effect.<String, String>fail("second")).uncancellable())
                            .then(s.spawn(after(10, Effect.<String, String>fail("first"))))
                            .then(Effect.<String, String>never())));
            assertThat(exit).isEqualTo(Exit.failure("first"));
            assertThat(v.reported.typedErrors()).containsExactly("second");
        }
    }

    @Test
    void aBodyFailureCancelsTheChildrenAndIsTheScopesOutcome() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Exit<String, String> exit = v.run(Concurrency.scope(s ->
                    s.spawn(Effect.<String, String>never().ensuring(log.add("child finalized")))
                            .then(after(10, Effect.<String, String>fail("body failed")))));
            assertThat(exit).isEqualTo(Exit.failure("body failed"));
            assertThat(log.events()).containsExactly("child finalized");
        }
    }

    @Test
    void childCancelledThroughItsTaskDoesNotFailTheScope() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, String> exit = v.run(Concurrency.scope(s -> Effect.<String, String>gen(d -> {
                Task<String, String> child = d.await(s.spawn(Effect.<String, String>never()));
                d.await(Concurrency.<String>sleep(10));
                d.await(child.cancel());
                d.await(Concurrency.<String>sleep(10));
                return "body went on; child " + d.await(child.<String>await());
            })));
            assertThat(exit).isEqualTo(Exit.success("body went on; child Cancelled[]"));
            assertThat(v.nowMillis()).isEqualTo(20);
        }
    }

    @Test
    void aChildSpawnedAsExitHandlesItsOwnErrorWithoutFailingTheScope() {
        Exit<String, String> exit = Concurrency.<String, String>scope(s -> Effect.gen(d -> {
            Task<String, Exit<String, Integer>> t = d.await(s.spawn(Effect.<String, Integer>fail("handled").<String>exit()));
            Exit<String, Integer> childExit = d.await(t.join());
            return "child ended with " + childExit;
        })).run();
        assertThat(exit).isEqualTo(Exit.success("child ended with Failure[error=handled]"));
    }

    @Test
    void cancellingTheFiberRunningAScopeCancelsBodyAndChildrenAndAwaitsThem() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Effect<String, String> scoped = Concurrency.scope(s ->
                    s.spawn(Effect.<String, String>never().ensuring(log.add("child finalized")))
                            .then(Effect.<String, String>never().ensuring(log.add("body finalized"))));
            Exit<String, String> exit = v.run(Effect.<String, String>gen(d -> {
                Task<String, String> t = d.await(Concurrency.spawn(scoped));
                d.await(Concurrency.<String>sleep(10));
                d.await(t.cancel());
                log.record("cancel returned");
                return String.valueOf(d.await(t.<String>await()));
            }));
            assertThat(exit).isEqualTo(Exit.success("Cancelled[]"));
            assertThat(log.events()).hasSize(3).last().isEqualTo("cancel returned");
            assertThat(log.events()).contains("child finalized", "body finalized");
        }
    }

    @Test
    void spawnInsideAScopeUsesTheInnermostScope() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Exit<String, Unit> exit = v.run(Concurrency.scope(outer -> Concurrency.<String, Unit>scope(inner ->
                    Concurrency.spawn(Effect.<String, Unit>never().ensuring(log.add("spawned child finalized")))
                            .then(after(10, Effect.<String>unit())))
                    .then(log.<String>add("inner scope returned"))
                    .then(after(10, log.<String>add("outer body ended")))));
            assertThat(exit.isSuccess()).isTrue();
            // the child belonged to the inner scope: it ended with it, not with the outer one
            assertThat(log.events()).containsExactly("spawned child finalized", "inner scope returned",
                    "outer body ended");
        }
    }

    @Test
    void aSpawnedTasksOwnChildrenAreCancelledWhenItEnds() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            Effect<String, String> parent = Concurrency.spawn(Effect.<String, String>never()
                    .ensuring(log.add("grandchild finalized"))).then(after(10, Effect.succeed("parent value")));
            Exit<String, Unit> exit = v.run(Concurrency.spawn(parent).flatMap(Task::join)
                    .flatMap(value -> log.<String>add("joined " + value)));
            assertThat(exit.isSuccess()).isTrue();
            assertThat(log.events()).containsExactly("grandchild finalized", "joined parent value");
        }
    }

    @Test
    void aSpawnedTasksChildFailureFailsTheTask() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Effect<String, String> parent = Concurrency.spawn(after(10, Effect.<String, String>fail("grandchild")))
                    .then(Effect.<String, String>never());
            // the task fails with its child's error, and so (fail-fast) does the scope the task belongs to
            Exit<String, Exit<String, String>> exit = v.run(Concurrency.<String, Exit<String, String>>scope(s ->
                    s.spawn(parent).flatMap(t -> t.<String>await())));
            assertThat(exit).isEqualTo(Exit.failure("grandchild"));
            assertThat(v.nowMillis()).isEqualTo(10);
        }
    }

    @Test
    void runIsARootScopeNothingEscapes() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            EventLog log = new EventLog();
            AtomicReference<Task<String, String>> escaped = new AtomicReference<>();
            Exit<String, String> exit = v.run(Concurrency.spawn(Effect.<String, String>never()
                    .ensuring(log.add("child finalized"))).map(t -> {
                        escaped.set(t);
                        return "root done";
                    }).flatMap(x -> after(10, Effect.succeed(x))));
            assertThat(exit).isEqualTo(Exit.success("root done"));
            assertThat(log.events()).containsExactly("child finalized");
            assertThat(escaped.get().poll()).contains(Exit.cancelled());
            assertThat(v.rt.liveFibers()).isZero();
        }
    }

    @Test
    void aScopeHandleCannotSpawnAfterItsScopeEnded() {
        AtomicReference<Scope> leaked = new AtomicReference<>();
        Exit<String, Task<String, Integer>> exit = Concurrency.<String, Unit>scope(s -> {
            leaked.set(s);
            return Effect.unit();
        }).flatMap(u -> leaked.get().spawn(Effect.<String, Integer>succeed(1))).run();
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        assertThat(((Exit.Defect<String, Task<String, Integer>>) exit).cause())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already ended");
    }

    @Test
    void childrenRunConcurrentlyWithTheBody() {
        try (VirtualRuntime v = new VirtualRuntime()) {
            Exit<String, List<Integer>> exit = v.run(Concurrency.scope(s -> Effect.<String, List<Integer>>gen(d -> {
                Task<String, Integer> a = d.await(s.spawn(after(30, Effect.succeed(1))));
                Task<String, Integer> b = d.await(s.spawn(after(20, Effect.succeed(2))));
                d.await(Concurrency.<String>sleep(30));
                return List.of(d.await(a.join()), d.await(b.join()));
            })));
            assertThat(exit).isEqualTo(Exit.success(List.of(1, 2)));
            assertThat(v.nowMillis()).isEqualTo(30);
        }
    }
}
