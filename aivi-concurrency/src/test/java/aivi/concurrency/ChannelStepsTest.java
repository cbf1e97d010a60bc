package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The channel operations as run-loop steps (ChannelHandles' send, recv, fold and forEach steps, and the select
 * step): each of them through the run loop, through {@code d.await} and behind a {@code flatMap}, on the path that
 * completes at once and on the path that waits.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(60)
class ChannelStepsTest {

    private static Effect<String, Pair<Sender<Integer>, Receiver<Integer>>> channel(int capacity) {
        return capacity < 0 ? Concurrency.make() : Concurrency.makeBounded(capacity);
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {-1, 0, 1, 16})
    void foldAndForEachOverManyValuesRunInConstantStack(int capacity) {
        int n = 100_000;
        Effect<String, Pair<Long, Long>> e = channel(capacity).flatMap(a -> channel(capacity).flatMap(b ->
                Concurrency.scope(s -> Effect.gen(d -> {
                    d.await(s.spawn(sendAll(a.first(), n).then(a.first().close())));
                    Task<String, Unit> forward = d.await(s.spawn(a.second().<String>forEach(v -> b.first().send(v))
                            .then(b.first().close())));
                    long sum = d.await(b.second().fold(0L, (acc, v) -> acc + v));
                    d.await(forward.join());
                    return new Pair<>(sum, (long) n * (n - 1) / 2);
                }))));
        Pair<Long, Long> sums = e.runOrThrow();
        assertThat(sums.first()).isEqualTo(sums.second());
    }

    private static Effect<String, Unit> sendAll(Sender<Integer> out, int n) {
        return Effect.gen(d -> {
            for (int i = 0; i < n; i++) {
                d.await(out.send(i));
            }
            return Unit.UNIT;
        });
    }

    @Test
    void oneRecvEffectServesManyRunsAndFibers() {
        Effect<String, Long> e = channel(0).flatMap(ch -> Concurrency.scope(s -> Effect.gen(d -> {
            Effect<String, Result<ChannelError, Integer>> recv = ch.second().recv();
            d.await(s.spawn(sendAll(ch.first(), 1_000)));
            Effect<String, Long> consumer = Effect.gen(c -> {
                long sum = 0;
                for (int i = 0; i < 500; i++) {
                    sum += ((Result.Ok<ChannelError, Integer>) c.await(recv)).value();
                }
                return sum;
            });
            Task<String, Long> x = d.await(s.spawn(consumer));
            Task<String, Long> y = d.await(s.spawn(consumer));
            return d.await(x.join()) + d.await(y.join());
        })));
        assertThat(e.runOrThrow()).isEqualTo(999L * 1000 / 2);
    }

    @Test
    void closedChannelsAreReportedOnTheImmediatePathInEveryForm() {
        Effect<String, Pair<Sender<Integer>, Receiver<Integer>>> closed =
                channel(4).flatMap(ch -> ch.first().<String>close().as(ch));
        // through the run loop, behind a flatMap, and through d.await
        assertThat(closed.flatMap(ch -> ch.first().<String>sendOrClosed(1)).runOrThrow())
                .isEqualTo(Result.err(ChannelError.CLOSED));
        assertThat(closed.flatMap(ch -> ch.first().<String>send(1)).run())
                .isInstanceOfSatisfying(Exit.Defect.class,
                        d -> assertThat(d.cause()).isInstanceOf(ChannelClosedException.class));
        assertThat(closed.flatMap(ch -> Effect.<String, Result<ChannelError, Integer>>gen(d -> d.await(ch.second().recv())))
                .runOrThrow()).isEqualTo(Result.err(ChannelError.CLOSED));
        Exit<String, Unit> viaAwait = closed.flatMap(ch -> Effect.<String, Unit>gen(d -> d.await(ch.first().send(1))))
                .run();
        assertThat(viaAwait).isInstanceOfSatisfying(Exit.Defect.class,
                d -> assertThat(d.cause()).isInstanceOf(ChannelClosedException.class));
        assertThat(closed.flatMap(ch -> ch.second().fold(0, Integer::sum)).runOrThrow()).isZero();
    }

    /**
     * A closed channel on which an open one's send or receive would wait (rendezvous; a full buffer): whichever
     * of the try and the blocking call (sendOrClosedAfterTry / receiveOrNullAfterTry) sees the close, it is
     * reported the same way, with the same message, and nothing is delivered.
     */
    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1})
    void closedChannelsWhereAnOpenOneWouldWaitAreReportedInEveryForm(int capacity) {
        Effect<String, Pair<Sender<Integer>, Receiver<Integer>>> closed = channel(capacity).flatMap(ch ->
                (capacity == 0 ? Effect.<String>unit() : ch.first().<String>send(7)).then(ch.first().<String>close())
                        .as(ch));
        assertThat(closed.flatMap(ch -> ch.first().<String>sendOrClosed(1)).runOrThrow())
                .isEqualTo(Result.err(ChannelError.CLOSED));
        assertThat(closed.flatMap(ch -> ch.first().<String>send(1)).run())
                .isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                        .isInstanceOf(ChannelClosedException.class)
                        .hasMessage("send: the channel was closed; the value was not delivered"));
        Exit<String, Unit> viaAwait = closed.flatMap(ch -> Effect.<String, Unit>gen(d -> d.await(ch.first().send(1))))
                .run();
        assertThat(viaAwait).isInstanceOfSatisfying(Exit.Defect.class,
                d -> assertThat(d.cause()).isInstanceOf(ChannelClosedException.class));
        // The buffered value is still received, then the close; a rejected send added nothing.
        long expected = capacity == 0 ? 0 : 7;
        assertThat(closed.flatMap(ch -> ch.first().<String>sendOrClosed(1).then(ch.second().fold(0L, Long::sum)))
                .runOrThrow()).isEqualTo(expected);
        assertThat(closed.flatMap(ch -> Effect.<String, Result<ChannelError, Integer>>gen(d -> {
            if (capacity > 0) {
                assertThat(d.await(ch.second().recv())).isEqualTo(Result.ok(7));
            }
            return d.await(ch.second().recv());
        })).runOrThrow()).isEqualTo(Result.err(ChannelError.CLOSED));
    }

    @Test
    void aThrowingFoldFunctionIsADefectWithThatException() {
        IllegalStateException boom = new IllegalStateException("boom");
        Exit<String, Integer> exit = channel(-1).flatMap(ch -> ch.first().<String>send(1)
                .then(ch.second().<String, Integer>fold(0, (acc, v) -> {
                    throw boom;
                }))).run();
        assertThat(exit).isEqualTo(Exit.defect(boom));
    }

    @Test
    void aFoldCancelledWhileWaitingConsumedNothing() {
        Effect<String, Result<ChannelError, Integer>> e = channel(0).flatMap(ch -> Effect.gen(d -> {
            CountDownLatch entering = new CountDownLatch(1);
            Task<String, Integer> folder = d.await(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                entering.countDown();
                return Unit.UNIT;
            }).then(ch.second().fold(0, Integer::sum))));
            TestFibers.await(entering, "the fold to start");
            TestFibers.awaitParked(folder);
            d.await(folder.cancel());
            assertThat(d.await(folder.<String>await())).isEqualTo(Exit.cancelled());
            Task<String, Unit> sender = d.await(Concurrency.spawn(ch.first().send(7)));
            Result<ChannelError, Integer> r = d.await(ch.second().recv());
            d.await(sender.join());
            return r;
        }));
        assertThat(e.runOrThrow()).isEqualTo(Result.ok(7));
    }

    /** Whether a channel wait of the fiber running it may spin (ChannelHandles.mayspin). */
    private static Effect<String, Boolean> mayspin() {
        return new Node.Prim<>(fiber -> Exit.success(ChannelHandles.mayspin(fiber)));
    }

    @Test
    void aChannelWaitSpinsOnlyWhileTheRuntimeHasFewLiveFibers() {
        assertThat(mayspin().runOrThrow()).as("one live fiber").isTrue();
        int crowd = (int) ChannelHandles.CROWD;
        Effect<String, Boolean> e = channel(0).flatMap(idle -> channel(-1).flatMap(ready -> Concurrency.scope(s ->
                Effect.gen(d -> {
                    for (int i = 0; i < crowd; i++) {
                        // each is live once it has sent, and then waits until the close below
                        d.await(s.spawn(ready.first().<String>send(i).then(idle.second().recv())));
                    }
                    for (int i = 0; i < crowd; i++) {
                        d.await(ready.second().recv());
                    }
                    boolean crowded = d.await(mayspin());
                    d.await(idle.first().close());
                    return crowded;
                }))));
        assertThat(e.runOrThrow()).as("%s waiting fibers beside this one", crowd).isFalse();
        assertThat(mayspin().runOrThrow()).as("the crowd has ended").isTrue();
    }

    // ---- send / recv fused with the flatMap (or then) after them: Node.OpThen

    @Test
    void aChannelOperationFollowedByFlatMapOrThenIsBuiltAsOneFusedNode() {
        Pair<Sender<Integer>, Receiver<Integer>> ch = Concurrency.<String, Integer>make().runOrThrow();
        assertThat(ch.first().<String>send(1).flatMap(u -> Effect.unit())).isInstanceOf(ChannelHandles.SendThen.class);
        assertThat(ch.first().<String>sendOrClosed(1).flatMap(r -> Effect.unit()))
                .isInstanceOf(ChannelHandles.SendThen.class);
        assertThat(ch.first().<String>send(1).then(Effect.unit())).isInstanceOf(ChannelHandles.SendThen.class);
        assertThat(ch.second().<String>recv().flatMap(r -> Effect.unit())).isInstanceOf(ChannelHandles.RecvThen.class);
        // anything else stays a plain FlatMap
        assertThat(Effect.<String, Integer>sync(() -> 1).flatMap(x -> Effect.unit())).isInstanceOf(Node.FlatMap.class);
        assertThat(ch.second().<String, Integer>fold(0, Integer::sum).flatMap(x -> Effect.unit()))
                .isInstanceOf(Node.FlatMap.class);
    }

    private static Effect<String, Unit> fusedSends(Sender<Integer> out, int i, int n) {
        if (i == n) {
            return out.close();
        }
        // alternately flatMap and then, so both fused forms run
        return i % 2 == 0 ? out.<String>send(i).flatMap(u -> fusedSends(out, i + 1, n))
                : out.<String>send(i).then(Effect.suspend(() -> fusedSends(out, i + 1, n)));
    }

    private static Effect<String, Integer> fusedReceives(Receiver<Integer> in, int expected) {
        return in.<String>recv().flatMap(r -> {
            if (r instanceof Result.Ok<ChannelError, Integer> ok) {
                if (ok.value() != expected) {
                    return Effect.fail("value " + ok.value() + " where " + expected + " was due");
                }
                return fusedReceives(in, expected + 1);
            }
            return Effect.succeed(expected); // closed and drained
        });
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {-1, 0, 1, 16})
    void fusedSendAndRecvLoopsTransferEveryValueInOrderInConstantStack(int capacity) {
        int n = 100_000;
        Effect<String, Integer> e = channel(capacity).flatMap(ch -> Concurrency.scope(s -> Effect.gen(d -> {
            d.await(s.spawn(fusedSends(ch.first(), 0, n)));
            return d.await(fusedReceives(ch.second(), 0));
        })));
        assertThat(e.run()).isEqualTo(Exit.success(n));
    }

    @Test
    void aFusedLoopThatNeverWaitsStopsWhenCancelled() {
        // send then recv on a buffer of one, for ever: every step completes at once, so the fiber never leaves the
        // run loop's tight loop over fused steps, which must still observe the cancellation. The canceller needs a
        // carrier of its own while the loop holds one (virtual threads are not preempted).
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "needs two carriers");
        Effect<String, Integer> e = channel(1).flatMap(ch -> Effect.gen(d -> {
            CountDownLatch looping = new CountDownLatch(1);
            Task<String, Unit> loop = d.await(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                looping.countDown();
                return Unit.UNIT;
            }).then(forever(ch.first(), ch.second(), 0))));
            TestFibers.await(looping, "the loop to start");
            d.await(loop.cancel());
            assertThat(d.await(loop.<String>await())).isEqualTo(Exit.cancelled());
            // The loop ended between a send and its receive or after both: at most the one value is left.
            return ch.second().size();
        }));
        assertThat(e.runOrThrow()).isBetween(0, 1);
    }

    private static Effect<String, Unit> forever(Sender<Integer> out, Receiver<Integer> in, int i) {
        return out.<String>send(i).flatMap(u -> in.<String>recv().flatMap(r -> forever(out, in, i + 1)));
    }

    @Test
    void aFusedStepsFunctionThatThrowsOrReturnsNullIsADefect() {
        IllegalStateException boom = new IllegalStateException("boom");
        Exit<String, Unit> thrown = channel(-1).flatMap(ch -> ch.first().<String>send(1).<Unit>flatMap(u -> {
            throw boom;
        })).run();
        assertThat(thrown).isEqualTo(Exit.defect(boom));
        Exit<String, Unit> nulled = channel(-1).flatMap(ch -> ch.first().<String>send(1)
                .then(ch.second().<String>recv().<Unit>flatMap(r -> null))).run();
        assertThat(nulled).isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                .isInstanceOf(NullPointerException.class)
                .hasMessage("Effect.flatMap: the function returned null"));
    }

    @Test
    void fusedStepsOnAClosedChannelReportTheCloseAsTheirPlainForms() {
        Effect<String, Pair<Sender<Integer>, Receiver<Integer>>> closed =
                channel(4).flatMap(ch -> ch.first().<String>close().as(ch));
        boolean[] ran = new boolean[1];
        Exit<String, Unit> send = closed.flatMap(ch -> ch.first().<String>send(1).flatMap(u -> {
            ran[0] = true;
            return Effect.unit();
        })).run();
        assertThat(send).isInstanceOfSatisfying(Exit.Defect.class, d -> assertThat(d.cause())
                .isInstanceOf(ChannelClosedException.class)
                .hasMessage("send: the channel was closed; the value was not delivered"));
        assertThat(ran[0]).as("the continuation of a failed send").isFalse();
        assertThat(closed.flatMap(ch -> ch.first().<String>sendOrClosed(1).flatMap(Effect::succeed)).runOrThrow())
                .isEqualTo(Result.err(ChannelError.CLOSED));
        assertThat(closed.flatMap(ch -> ch.second().<String>recv().flatMap(Effect::succeed)).runOrThrow())
                .isEqualTo(Result.err(ChannelError.CLOSED));
    }

    @Test
    void aFusedRecvCancelledWhileWaitingConsumedNothing() {
        assertThat(cancelledWhileWaiting(in -> in.<String>recv(), "receive").runOrThrow()).isEqualTo(Result.ok(7));
    }

    /**
     * Spawns {@code step(receiver).flatMap(...)} on an empty rendezvous channel, cancels it while it waits, and
     * checks that it ended cancelled without running its continuation; then sends 7 and yields what a plain
     * receive gets, which is {@code Ok(7)} only if the cancelled step consumed nothing.
     */
    private static Effect<String, Result<ChannelError, Integer>> cancelledWhileWaiting(
            java.util.function.Function<Receiver<Integer>, Effect<String, Result<ChannelError, Integer>>> step,
            String what) {
        return channel(0).flatMap(ch -> Effect.gen(d -> {
            CountDownLatch entering = new CountDownLatch(1);
            boolean[] continued = new boolean[1];
            Task<String, Unit> waiting = d.await(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                entering.countDown();
                return Unit.UNIT;
            }).then(step.apply(ch.second()).flatMap(r -> {
                continued[0] = true;
                return Effect.unit();
            }))));
            TestFibers.await(entering, "the " + what + " to start");
            TestFibers.awaitParked(waiting);
            d.await(waiting.cancel());
            assertThat(d.await(waiting.<String>await())).isEqualTo(Exit.cancelled());
            assertThat(continued[0]).as("the continuation of a cancelled " + what).isFalse();
            Task<String, Unit> sender = d.await(Concurrency.spawn(ch.first().send(7)));
            Result<ChannelError, Integer> r = d.await(ch.second().recv());
            d.await(sender.join());
            return r;
        }));
    }

    @Test
    void forEachWhoseFunctionIsNotAChannelOperationRunsItForEveryValue() {
        java.util.List<Integer> seen = new java.util.ArrayList<>();
        Effect<String, Unit> e = channel(-1).flatMap(ch -> fusedSends(ch.first(), 0, 1_000)
                .then(ch.second().<String>forEach(v -> Effect.sync(() -> seen.add(v)))));
        assertThat(e.run()).isEqualTo(Exit.success(Unit.UNIT));
        assertThat(seen).hasSize(1_000).isSorted();
    }

    // ---- a select reused as a step of a flatMap loop (a plain FlatMap over the select's step)

    /**
     * Receives with {@code one}, the same select effect at every step, until it has seen {@code open} closes;
     * yields the sum and the count of the values it received, added to {@code sum} and {@code seen}.
     */
    private static Effect<String, Pair<Long, Integer>> selectLoop(Effect<String, Result<ChannelError, Integer>> one,
                                                                  int open, long sum, int seen) {
        if (open == 0) {
            return Effect.succeed(new Pair<>(sum, seen));
        }
        return one.flatMap(r -> r instanceof Result.Ok<ChannelError, Integer> ok
                ? selectLoop(one, open, sum + ok.value(), seen + 1)
                : selectLoop(one, open - 1, sum, seen));
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {-1, 0, 1, 16})
    void aSelectLoopReceivesEveryValueOnceInConstantStack(int capacity) {
        int n = 50_000; // per channel
        Effect<String, Pair<Long, Integer>> e = channel(capacity).flatMap(a -> channel(capacity).flatMap(b ->
                Concurrency.scope(s -> Effect.gen(d -> {
                    d.await(s.spawn(fusedSends(a.first(), 0, n)));
                    d.await(s.spawn(fusedSends(b.first(), 0, n)));
                    // a closed and drained channel answers Err(CLOSED) at once, every time: so select over both
                    // until the first close, then drain the other with a select of one
                    return d.await(selectUntilClosed(a.second(), b.second()));
                }))));
        long each = (long) n * (n - 1) / 2;
        assertThat(e.runOrThrow()).isEqualTo(new Pair<>(2 * each, 2 * n));
    }

    private static Effect<String, Pair<Long, Integer>> selectUntilClosed(Receiver<Integer> a, Receiver<Integer> b) {
        Effect<String, Result<ChannelError, Integer>> both =
                Concurrency.select(Clause.recv(a, r -> r), Clause.recv(b, r -> r));
        // the first Err(CLOSED) ends this select loop; the other channel is then drained with a select of one
        return selectLoop(both, 1, 0L, 0).flatMap(p -> {
            Receiver<Integer> rest = a.isClosedForReceive() ? b : a;
            Effect<String, Result<ChannelError, Integer>> one = Concurrency.select(Clause.recv(rest, r -> r));
            return selectLoop(one, 1, p.first(), p.second());
        });
    }

    @Test
    void aSelectLoopThatNeverWaitsStopsWhenCancelled() {
        // send then select-receive on a buffer of one, for ever: no step waits, so only the run loop's check before
        // each step can observe the cancellation (a fused send's tight loop hands the select back to the eval loop)
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "needs two carriers");
        Effect<String, Integer> e = channel(1).flatMap(ch -> Effect.gen(d -> {
            CountDownLatch looping = new CountDownLatch(1);
            Effect<String, Result<ChannelError, Integer>> one = Concurrency.select(Clause.recv(ch.second(), r -> r));
            Task<String, Unit> loop = d.await(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                looping.countDown();
                return Unit.UNIT;
            }).then(foreverSelecting(ch.first(), one, 0))));
            TestFibers.await(looping, "the loop to start");
            d.await(loop.cancel());
            assertThat(d.await(loop.<String>await())).isEqualTo(Exit.cancelled());
            return ch.second().size();
        }));
        assertThat(e.runOrThrow()).isBetween(0, 1);
    }

    private static Effect<String, Unit> foreverSelecting(Sender<Integer> out,
                                                         Effect<String, Result<ChannelError, Integer>> one, int i) {
        return out.<String>send(i).flatMap(u -> one.flatMap(r -> foreverSelecting(out, one, i + 1)));
    }

    @Test
    void aSelectCancelledWhileWaitingConsumedNothingAndItsFlatMapDidNotRun() {
        assertThat(cancelledWhileWaiting(in -> Concurrency.select(Clause.recv(in, r -> r)), "select").runOrThrow())
                .isEqualTo(Result.ok(7));
    }

    @Test
    void aSelectWhoseClauseOrFlatMapThrowsIsADefect() {
        IllegalStateException boom = new IllegalStateException("boom");
        Exit<String, Unit> inClause = channel(-1).flatMap(ch -> ch.first().<String>send(1)
                .then(Concurrency.<String, Integer>select(Clause.recv(ch.second(), r -> {
                    throw boom;
                })).flatMap(x -> Effect.unit()))).run();
        assertThat(inClause).isEqualTo(Exit.defect(boom));
        Exit<String, Unit> inContinuation = channel(-1).flatMap(ch -> ch.first().<String>send(1)
                .then(Concurrency.<String, Integer>select(Clause.recv(ch.second(), r -> 1)).<Unit>flatMap(x -> {
                    throw boom;
                }))).run();
        assertThat(inContinuation).isEqualTo(Exit.defect(boom));
    }
}
