package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@link TestRuntime} run in which every fiber waits in a library wait and no deadline is left ends as
 * {@code Exit.Defect(DeadlockException)} whose message is the fiber dump, within a second, with every fiber
 * cancelled and awaited.
 */
@ExtendWith(NoLeakedFibers.class)
class DeadlockTest {

    private static final Duration WITHIN = Duration.ofSeconds(1);

    /** Runs {@code effect} on a fresh TestRuntime and returns the deadlock it must end with. */
    private static DeadlockException deadlockOf(Effect<String, ?> effect) {
        long start = System.nanoTime();
        Exit<String, ?> exit;
        try (TestRuntime rt = TestRuntime.create()) {
            exit = rt.run(effect);
            NoLeakedFibers.assertNoLiveFibers(rt.runtime()); // everything was cancelled and awaited
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("real time to report the deadlock")
                .isLessThan(WITHIN);
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        Throwable cause = ((Exit.Defect<?, ?>) exit).cause();
        assertThat(cause).isInstanceOf(DeadlockException.class);
        DeadlockException d = (DeadlockException) cause;
        assertThat(d.getMessage()).contains(d.dump().toString());
        return d;
    }

    @Test
    @Timeout(10)
    void aRecvOnAChannelNobodySendsToIsADeadlockNamingTheReceiver() {
        DeadlockException d = deadlockOf(Concurrency.<String, String>make()
                .flatMap(ch -> ch.second().<String>recv()).named("lonely-receiver"));
        assertThat(d.getMessage()).contains("lonely-receiver [waiting: recv on Channel@");
        assertThat(d.dump().size()).isEqualTo(1);
    }

    @Test
    @Timeout(10)
    void twoFibersEachSendingOnARendezvousChannelTheOtherShouldReceiveFromDeadlock() {
        Effect<String, Unit> program = Concurrency.<String, Integer>makeBounded(0).flatMap(toBob ->
                Concurrency.<String, Integer>makeBounded(0).flatMap(toAlice -> Concurrency.scope(s -> {
                    Effect<String, Unit> alice = toBob.first().<String>send(1).then(toAlice.second().<String>recv())
                            .asUnit().named("alice");
                    Effect<String, Unit> bob = toAlice.first().<String>send(2).then(toBob.second().<String>recv())
                            .asUnit().named("bob");
                    return s.spawn(alice).then(s.spawn(bob)).then(s.<String>joinAll());
                }))).named("main");
        DeadlockException d = deadlockOf(program);
        assertThat(d.getMessage())
                .contains("main [waiting: scope")
                .contains("  alice [waiting: send on Channel@")
                .contains("  bob [waiting: send on Channel@");
        assertThat(d.dump().size()).isEqualTo(3);
    }

    @Test
    @Timeout(10)
    void aJoinCycleThroughAChannelIsADeadlockNamingBothJoiners() {
        // a receives b's task from the channel and joins it; b joins a: each waits for the other to end.
        Effect<String, Unit> program = Concurrency.<String, Task<String, Unit>>make().flatMap(ch ->
                Concurrency.scope(s -> s.spawn(ch.second().<String>recv()
                                .flatMap(r -> ((Result.Ok<ChannelError, Task<String, Unit>>) r).value().join()).named("a"))
                        .flatMap(a -> s.spawn(a.join().named("b")))
                        .flatMap(b -> ch.first().<String>send(b))
                        .then(s.<String>joinAll())));
        DeadlockException d = deadlockOf(program);
        assertThat(d.getMessage()).contains("a [waiting: join on b").contains("b [waiting: join on a");
    }

    @Test
    @Timeout(10)
    void finalizersOfDeadlockedFibersRunBeforeTheRunReturns() {
        AtomicBoolean released = new AtomicBoolean();
        Effect<String, Result<ChannelError, String>> stuck = Concurrency.<String, String>make()
                .flatMap(ch -> ch.second().<String>recv())
                .ensuring(Effect.sync(() -> {
                    released.set(true);
                    return Unit.UNIT;
                }));
        deadlockOf(Concurrency.scope(s -> s.spawn(stuck.named("child")).then(s.<String>joinAll())));
        assertThat(released).isTrue();
    }

    @Test
    @Timeout(10)
    void aDeadlockComesOnlyAfterEveryDeadlineHasPassed() {
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, ?> exit = rt.run(Concurrency.<String>sleep(5_000)
                    .then(Concurrency.<String, String>make().flatMap(ch -> ch.second().<String>recv())));
            assertThat(exit).isInstanceOf(Exit.Defect.class);
            assertThat(((Exit.Defect<?, ?>) exit).cause()).isInstanceOf(DeadlockException.class)
                    .hasMessageStartingWith("deadlock at 5.0 s of virtual time");
        }
    }

    @Test
    @Timeout(10)
    void aDetachedFiberWaitingForeverIsCancelledWithTheDeadlockedRun() {
        AtomicBoolean detachedReleased = new AtomicBoolean();
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, ?> exit = rt.run(Concurrency.spawnDetached(Effect.<String, Unit>never()
                            .ensuring(Effect.sync(() -> {
                                detachedReleased.set(true);
                                return Unit.UNIT;
                            })).named("forever"))
                    .then(Effect.<String, Unit>never()));
            assertThat(exit).isInstanceOf(Exit.Defect.class);
            assertThat(((Exit.Defect<?, ?>) exit).cause().getMessage()).contains("forever [waiting: sleep");
        }
        assertThat(detachedReleased).isTrue(); // cancelled with the run, awaited by close at the latest
    }

    @Test
    @Timeout(10)
    void aDeadlockInsideAnUncancellableRegionStillEndsTheRunAndSaysWhatItLeftBehind() {
        long start = System.nanoTime();
        try (TestRuntime rt = TestRuntime.create()) {
            Exit<String, ?> exit = rt.run(Concurrency.<String, String>make()
                    .flatMap(ch -> ch.second().<String>recv()).uncancellable().named("stubborn"));
            assertThat(exit).isInstanceOf(Exit.Defect.class);
            Throwable cause = ((Exit.Defect<?, ?>) exit).cause();
            assertThat(cause).isInstanceOf(DeadlockException.class).hasMessageContaining("stubborn [waiting: recv");
            assertThat(cause.getSuppressed()).hasSize(1);
            assertThat(cause.getSuppressed()[0]).hasMessageContaining("could not be cancelled")
                    .hasMessageContaining("stubborn [waiting: recv");
            assertThat(rt.runtime().liveFibers()).as("the uncancellable fiber is left behind").isEqualTo(1);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WITHIN);
    }

    @Test
    @Timeout(20)
    void aFiberWaitingOnAFutureCompletedFromOutsideIsNotADeadlock() throws Exception {
        // The library's future waits go through Fiber.blockFor with FUTURE; such a completion comes from
        // outside the runtime, so "every fiber waits, no deadline" must not end the run.
        java.util.concurrent.CompletableFuture<String> future = new java.util.concurrent.CompletableFuture<>();
        Effect<String, String> awaitIt = new Node.Prim<>(fiber -> fiber.blockFor(FiberDump.Activity.FUTURE, future,
                () -> {
                    try {
                        return future.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new IllegalStateException(e.getCause());
                    }
                }));
        try (TestRuntime rt = TestRuntime.create()) {
            Thread completer = Thread.ofPlatform().name("outside-completer").start(() -> {
                // completes the future once the fiber is seen waiting on it (polls the dump; orders nothing)
                long deadline = System.nanoTime() + TestFibers.GENEROUS.toNanos();
                while (rt.runtime().dump().fibers().stream()
                        .noneMatch(e -> e.activity() == FiberDump.Activity.FUTURE)) {
                    if (System.nanoTime() - deadline > 0) {
                        future.completeExceptionally(new AssertionError("never saw the fiber wait"));
                        return;
                    }
                    Thread.onSpinWait();
                }
                future.complete("from outside");
            });
            assertThat(rt.run(awaitIt.named("awaiting"))).isEqualTo(Exit.success("from outside"));
            completer.join();
            assertThat(rt.clock().nanoTime()).isZero();
        }
    }

    @Test
    @Timeout(10)
    void theRuntimeStaysUsableAfterADeadlock() {
        try (TestRuntime rt = TestRuntime.create()) {
            assertThat(rt.run(Effect.<String, Unit>never())).isInstanceOf(Exit.Defect.class);
            assertThat(rt.run(Concurrency.<String>sleep(1_000).as("after"))).isEqualTo(Exit.success("after"));
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofSeconds(1).toNanos());
        }
    }
}
