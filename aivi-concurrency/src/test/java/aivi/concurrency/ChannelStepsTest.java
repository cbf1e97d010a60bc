package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The channel operations as run-loop steps (ChannelHandles' send, recv, fold and forEach steps): each of
 * them through the run loop, through {@code d.await} and behind a {@code flatMap}, on the path that
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
}
