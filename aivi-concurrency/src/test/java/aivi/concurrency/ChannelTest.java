package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The public channel functions of {@link Concurrency} and the {@link Sender}/{@link Receiver} handles. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(60)
class ChannelTest {

    /** Capacities: -1 stands for {@code make()} (unbounded). */
    private static Effect<String, Pair<Sender<Integer>, Receiver<Integer>>> channel(int capacity) {
        return capacity < 0 ? Concurrency.make(0) : Concurrency.makeBounded(capacity);
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {-1, 0, 1, 16})
    void valuesArriveInOrderAndCloseIsSeenAfterTheBufferedOnes(int capacity) {
        Effect<String, List<Object>> program = Effect.gen(d -> {
            var ch = d.await(channel(capacity));
            Sender<Integer> out = ch.first();
            Receiver<Integer> in = ch.second();
            d.await(Concurrency.spawn(Effect.gen(p -> {
                for (int i = 0; i < 50; i++) {
                    p.await(Concurrency.send(out, i));
                }
                p.await(Concurrency.close(out));
                return Unit.UNIT;
            })));
            List<Object> seen = new java.util.ArrayList<>();
            for (;;) {
                Result<ChannelError, Integer> r = d.await(Concurrency.recv(in));
                if (r instanceof Result.Ok<ChannelError, Integer>(var v)) {
                    seen.add(v);
                } else {
                    seen.add(r);
                    seen.add(d.await(Concurrency.recv(in))); // closed stays closed
                    return seen;
                }
            }
        });
        List<Object> seen = program.runOrThrow();
        assertThat(seen.subList(0, 50)).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, 50).boxed().collect(Collectors.toList()));
        assertThat(seen.subList(50, 52)).containsOnly(Result.err(ChannelError.CLOSED));
    }

    @Test
    void makeBoundedRejectsANegativeCapacityNamingTheValue() {
        assertThatThrownBy(() -> Concurrency.makeBounded(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity")
                .hasMessageContaining("-1");
    }

    @Test
    void sendOnAClosedChannelDiesWithChannelClosedException() {
        Exit<String, Unit> exit = Effect.<String, Unit>gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>makeBounded(4));
            d.await(Concurrency.close(ch.first()));
            return d.await(Concurrency.send(ch.first(), 1));
        }).run();
        assertThat(exit).isInstanceOfSatisfying(Exit.Defect.class,
                d -> assertThat(d.cause()).isInstanceOf(ChannelClosedException.class).hasMessageContaining("closed"));
    }

    @Test
    void sendOrClosedReportsAClosedChannelAsAValue() {
        Result<ChannelError, Unit> r = Effect.<String, Result<ChannelError, Unit>>gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>make());
            d.await(Concurrency.close(ch.first()));
            return d.await(Concurrency.sendOrClosed(ch.first(), 1));
        }).runOrThrow();
        assertThat(r).isEqualTo(Result.err(ChannelError.CLOSED));
    }

    @Test
    void aSenderBlockedOnAFullChannelIsWokenByCloseAndDies() {
        Exit<String, Unit> exit = Effect.<String, Unit>gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>makeBounded(1));
            d.await(Concurrency.send(ch.first(), 1));
            CountDownLatch blocked = new CountDownLatch(1);
            Task<String, Unit> sender = d.await(Concurrency.spawn(
                    Effect.<String, Unit>sync(() -> {
                        blocked.countDown();
                        return Unit.UNIT;
                    }).then(Concurrency.send(ch.first(), 2))));
            blocked.await();
            d.await(Concurrency.close(ch.first()));
            Exit<String, Unit> senderExit = d.await(sender.await());
            // the buffered value is still delivered, the blocked one is not
            assertThat(d.await(Concurrency.recv(ch.second()))).isEqualTo(Result.ok(1));
            assertThat(d.await(Concurrency.recv(ch.second()))).isEqualTo(Result.err(ChannelError.CLOSED));
            return d.await(Effect.fromExit(senderExit));
        }).run();
        assertThat(exit).isInstanceOfSatisfying(Exit.Defect.class,
                d -> assertThat(d.cause()).isInstanceOf(ChannelClosedException.class));
    }

    @Test
    void nullValuesAreRejectedWithAMessage() {
        var ch = Concurrency.<String, Integer>make().runOrThrow();
        assertThatThrownBy(() -> Concurrency.send(ch.first(), null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> ch.first().trySend(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("null");
    }

    @Test
    void closeIsIdempotent() {
        Effect<String, Boolean> e = Effect.gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>make());
            d.await(Concurrency.close(ch.first()));
            d.await(Concurrency.close(ch.first()));
            return ch.first().isClosed();
        });
        assertThat(e.runOrThrow()).isTrue();
    }

    @Test
    void trySendAndTryRecvWorkFromAPlainThread() {
        var ch = Concurrency.<String, Integer>makeBounded(1).runOrThrow();
        assertThat(ch.second().tryRecv()).isEmpty();
        assertThat(ch.first().trySend(1)).isEqualTo(Result.ok(true));
        assertThat(ch.first().trySend(2)).isEqualTo(Result.ok(false));
        assertThat(ch.second().tryRecv()).contains(Result.ok(1));
        Concurrency.close(ch.first()).runOrThrow();
        assertThat(ch.first().trySend(3)).isEqualTo(Result.err(ChannelError.CLOSED));
        assertThat(ch.second().tryRecv()).isEqualTo(Optional.of(Result.err(ChannelError.CLOSED)));
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1})
    void aCancelledSendHasNotDeliveredItsValue(int capacity) {
        Effect<String, Optional<Result<ChannelError, Integer>>> e = Effect.gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>makeBounded(capacity));
            if (capacity == 1) {
                d.await(Concurrency.send(ch.first(), 0)); // fill the buffer
                ch.second().tryRecv(); // take it back out below after the cancel
            }
            if (capacity == 1) {
                d.await(Concurrency.send(ch.first(), 0));
            }
            CountDownLatch entering = new CountDownLatch(1);
            Task<String, Unit> sender = d.await(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                entering.countDown();
                return Unit.UNIT;
            }).then(Concurrency.send(ch.first(), 42))));
            entering.await();
            d.await(sender.cancel());
            assertThat(d.await(sender.isCancelled())).isTrue();
            if (capacity == 1) {
                assertThat(ch.second().tryRecv()).contains(Result.ok(0));
            }
            return ch.second().tryRecv();
        });
        assertThat(e.runOrThrow()).isEmpty();
    }

    @Test
    void aCancelledRecvHasNotConsumedAValue() {
        Effect<String, Result<ChannelError, Integer>> e = Effect.gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>make());
            CountDownLatch entering = new CountDownLatch(1);
            Task<String, Result<ChannelError, Integer>> receiver = d.await(Concurrency.spawn(
                    Effect.<String, Unit>sync(() -> {
                        entering.countDown();
                        return Unit.UNIT;
                    }).then(Concurrency.recv(ch.second()))));
            entering.await();
            d.await(receiver.cancel());
            Exit<String, Result<ChannelError, Integer>> exit = d.await(receiver.await());
            d.await(Concurrency.send(ch.first(), 7));
            if (exit instanceof Exit.Success<String, Result<ChannelError, Integer>>(var r)) {
                return r; // the receive completed before the cancel: it must hold the value then
            }
            return d.await(Concurrency.recv(ch.second()));
        });
        assertThat(e.runOrThrow()).isEqualTo(Result.ok(7));
    }

    @Test
    void forEachFoldStreamAndIteratorConsumeUntilClosed() {
        Effect<String, List<Object>> e = Effect.gen(d -> {
            var a = d.await(Concurrency.<String, Integer>make());
            for (int i = 1; i <= 4; i++) {
                d.await(Concurrency.send(a.first(), i));
            }
            d.await(Concurrency.close(a.first()));
            int sum = d.await(a.second().fold(0, Integer::sum));

            var b = d.await(Concurrency.<String, Integer>make());
            d.await(Concurrency.send(b.first(), 5));
            d.await(Concurrency.send(b.first(), 6));
            d.await(Concurrency.close(b.first()));
            List<Integer> streamed = b.second().stream().collect(Collectors.toList());

            var c = d.await(Concurrency.<String, Integer>make());
            d.await(Concurrency.send(c.first(), 7));
            d.await(Concurrency.close(c.first()));
            List<Integer> iterated = new java.util.ArrayList<>();
            for (int x : (Iterable<Integer>) c.second()::iterator) {
                iterated.add(x);
            }

            var f = d.await(Concurrency.<String, Integer>make());
            d.await(Concurrency.send(f.first(), 8));
            d.await(Concurrency.close(f.first()));
            List<Integer> each = new java.util.ArrayList<>();
            d.await(f.second().forEach(x -> Effect.<String, Boolean>sync(() -> each.add(x))));
            return List.of(sum, streamed, iterated, each);
        });
        assertThat(e.runOrThrow()).containsExactly(10, List.of(5, 6), List.of(7), List.of(8));
    }

    @Test
    void selectCommitsExactlyOneReadyClause() {
        Effect<String, List<Object>> e = Effect.gen(d -> {
            var a = d.await(Concurrency.<String, Integer>make());
            var b = d.await(Concurrency.<String, Integer>make());
            d.await(Concurrency.send(a.first(), 1));
            d.await(Concurrency.send(b.first(), 2));
            String first = d.await(Concurrency.<String, String>select(
                    Clause.recv(a.second(), r -> "a" + r),
                    Clause.recv(b.second(), r -> "b" + r)));
            // exactly one value was taken: the other is still there
            int left = (a.second().tryRecv().isPresent() ? 1 : 0) + (b.second().tryRecv().isPresent() ? 1 : 0);
            return List.of(first, left);
        });
        List<Object> r = e.runOrThrow();
        assertThat(r.get(0)).isIn("aOk[value=1]", "bOk[value=2]");
        assertThat(r.get(1)).isEqualTo(1);
    }

    @Test
    void selectWithASendClauseDeliversToAWaitingReceiver() {
        Effect<String, Result<ChannelError, Integer>> e = Effect.gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>makeBounded(0));
            Task<String, Result<ChannelError, Integer>> rx = d.await(Concurrency.spawn(Concurrency.recv(ch.second())));
            String sent = d.await(Concurrency.<String, String>select(Clause.send(ch.first(), 9, r -> "sent " + r)));
            assertThat(sent).isEqualTo("sent Ok[value=UNIT]");
            return d.await(rx.join());
        });
        assertThat(e.runOrThrow()).isEqualTo(Result.ok(9));
    }

    @Test
    void selectOrDefaultTakesTheDefaultWhenNothingIsReady() {
        Effect<String, String> e = Effect.gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>make());
            return d.await(Concurrency.<String, String>selectOrDefault(() -> "nothing",
                    Clause.recv(ch.second(), r -> "got " + r)));
        });
        assertThat(e.runOrThrow()).isEqualTo("nothing");
    }

    @Test
    void selectWithinTimesOutOnTheRuntimeClock() {
        try (TestRuntime rt = TestRuntime.create()) {
            Effect<String, String> e = Effect.gen(d -> {
                var ch = d.await(Concurrency.<String, Integer>make());
                return d.await(Concurrency.<String, String>selectWithin(60_000, () -> "timeout",
                        Clause.recv(ch.second(), r -> "got " + r)));
            });
            assertThat(rt.runOrThrow(e)).isEqualTo("timeout");
            assertThat(rt.clock().nanoTime()).isEqualTo(Duration.ofMinutes(1).toNanos());
            NoLeakedFibers.assertNoLiveFibers(rt.runtime());
        }
    }

    @Test
    void aFiberBlockedInSelectIsCancellable() {
        Effect<String, Boolean> e = Effect.gen(d -> {
            var ch = d.await(Concurrency.<String, Integer>make());
            CountDownLatch entering = new CountDownLatch(1);
            Task<String, String> t = d.await(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                entering.countDown();
                return Unit.UNIT;
            }).then(Concurrency.<String, String>select(Clause.recv(ch.second(), r -> "got")))));
            assertThat(entering.await(20, TimeUnit.SECONDS)).isTrue();
            d.await(t.cancel());
            d.await(Concurrency.send(ch.first(), 1));
            assertThat(ch.second().tryRecv()).contains(Result.ok(1)); // the select consumed nothing
            return d.await(t.isCancelled());
        });
        assertThat(e.runOrThrow()).isTrue();
    }
}
