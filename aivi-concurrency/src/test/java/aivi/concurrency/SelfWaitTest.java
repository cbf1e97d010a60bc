package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A wait that could only end by the caller's own termination is a clear error or returns; never a hang. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelfWaitTest {

    @Test
    void aTaskThatCancelsItselfThroughItsOwnHandleEndsCancelledAndItsScopeReturns() {
        CompletableFuture<Task<String, String>> self = new CompletableFuture<>();
        Effect<String, String> body = Effect.<String, Task<String, String>>sync(self::join)
                .flatMap(me -> me.<String>cancel())
                .then(Effect.succeed("not reached"));
        Effect<String, Pair<Exit<String, String>, Boolean>> program = Concurrency.scope(scope ->
                scope.spawn(body).flatMap(task -> {
                    self.complete(task);
                    return task.<String>await().flatMap(exit -> task.<String>isCancelled().map(c -> new Pair<>(exit, c)));
                }));
        assertThat(program.run()).isEqualTo(Exit.success(new Pair<>(Exit.cancelled(), true)));
    }

    @Test
    void aTaskThatCancelsItselfInsideAnUncancellableRegionFinishesTheRegionFirst() {
        CompletableFuture<Task<String, String>> self = new CompletableFuture<>();
        AtomicReference<String> log = new AtomicReference<>("");
        Effect<String, String> body = Effect.<String, Task<String, String>>sync(self::join)
                .flatMap(me -> me.<String>cancel()
                        .then(Effect.<String, String>sync(() -> log.updateAndGet(s -> s + "region finished;")))
                        .uncancellable())
                .then(Effect.sync(() -> log.updateAndGet(s -> s + "after region;")));
        Exit<String, Exit<String, String>> exit = Concurrency.<String, String>spawn(body).flatMap(task -> {
            self.complete(task);
            return task.<String>await();
        }).run();
        assertThat(exit).isEqualTo(Exit.success(Exit.cancelled()));
        assertThat(log.get()).isEqualTo("region finished;");
    }

    @Test
    void aChildThatCancelsItsParentTaskReturnsAndBothEnd() {
        CompletableFuture<Task<String, Unit>> parent = new CompletableFuture<>();
        Effect<String, Unit> parentBody = Concurrency.<String, Unit>spawn(
                        Effect.<String, Task<String, Unit>>sync(parent::join).flatMap(p -> p.<String>cancel()))
                .then(Effect.never());
        Exit<String, Boolean> exit = Concurrency.<String, Unit>spawn(parentBody).flatMap(task -> {
            parent.complete(task);
            return task.<String>await().then(task.<String>isCancelled());
        }).run();
        assertThat(exit).isEqualTo(Exit.success(true));
    }

    @Test
    void aTaskThatJoinsItselfFailsWithAClearDefect() {
        CompletableFuture<Task<String, String>> self = new CompletableFuture<>();
        Effect<String, String> body = Effect.<String, Task<String, String>>sync(self::join).flatMap(Task::join);
        Exit<String, Exit<String, String>> exit = Concurrency.<String, String>spawn(body).flatMap(task -> {
            self.complete(task);
            return task.<String>await();
        }).<String>exit().flatMap(e -> Effect.fromExit(e)).run();
        assertThat(exit).isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Task.join")
                .hasMessageContaining("cannot join itself"));
    }

    @Test
    void closingARuntimeFromOneOfItsDetachedTasksIsAClearErrorAndTheRuntimeStillCloses() throws Exception {
        EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(new ReportedErrors()));
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Effect<String, Unit> closer = Effect.<String, Unit>sync(() -> {
            rt.close();
            return Unit.UNIT;
        }).<String>exit().flatMap(e -> {
            thrown.complete(e instanceof Exit.Defect<?, ?> d ? d.cause() : null);
            return Effect.unit();
        });
        // Also from a fiber nested inside the detached task, through a scope and a par branch.
        Effect<String, Unit> nested = Concurrency.scope(s -> s.spawn(Concurrency.par(Effect.<String>unit(),
                Effect.<String, Unit>sync(() -> {
                    rt.close();
                    return Unit.UNIT;
                }))).flatMap(Task::join).then(Effect.<String>unit()));
        CompletableFuture<Exit<String, Unit>> nestedExit = new CompletableFuture<>();
        rt.run(Concurrency.spawnDetached(closer));
        rt.run(Concurrency.spawnDetached(nested.<String>exit().flatMap(e -> {
            nestedExit.complete(e);
            return Effect.unit();
        })));
        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("EffectRuntime.close").hasMessageContaining("wait for itself");
        assertThat(nestedExit.get()).isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("EffectRuntime.close"));
        rt.close(); // from outside: fine
        NoLeakedFibers.assertNoLiveFibers(rt);
    }
}
