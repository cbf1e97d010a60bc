package aivi.concurrency.hazelcast;

import aivi.concurrency.ChannelClosedException;
import aivi.concurrency.ChannelError;
import aivi.concurrency.Clause;
import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.Pair;
import aivi.concurrency.Result;
import aivi.concurrency.Unit;
import com.hazelcast.core.HazelcastInstance;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import static aivi.concurrency.Concurrency.par;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The distributed channel's promises (docs/adr/0006-distributed-channels.md) on three real embedded members in
 * this JVM: producers on one member, consumers on the others, close from any member, backpressure,
 * cancellation of blocked remote operations, serialization errors, the refusal of select, and the
 * acknowledged receive. Each test uses a channel of its own on the shared cluster.
 */
class DistributedChannelTest {
    /** Cancellation is promised within a poll slice (50 ms); this bound leaves room for a loaded machine. */
    private static final long PROMPT_MILLIS = 2_000;

    private static TestCluster cluster;
    private static HazelcastInstance m0;
    private static HazelcastInstance m1;
    private static HazelcastInstance m2;

    @BeforeAll
    static void startThreeMembers() {
        cluster = TestCluster.start(3);
        m0 = cluster.member(0);
        m1 = cluster.member(1);
        m2 = cluster.member(2);
        System.out.println("DistributedChannelTest: 3 members formed a cluster in " + cluster.startMillis + " ms");
    }

    @AfterAll
    static void stopTheMembers() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String channelName(TestInfo info) {
        return info.getTestMethod().orElseThrow().getName();
    }

    /** Receives on the fiber until closed, collecting the values; the last element tells how it ended. */
    private static Effect<String, List<Integer>> drain(DistributedChannel<Integer> ch) {
        return ch.receiver().<String, List<Integer>>fold(new ArrayList<>(), (acc, v) -> {
            acc.add(v);
            return acc;
        });
    }

    private static Effect<String, Unit> sendAll(DistributedChannel<Integer> ch, int from, int to) {
        Effect<String, Unit> e = Effect.unit();
        for (int i = from; i <= to; i++) {
            e = e.then(ch.sender().send(i));
        }
        return e;
    }

    @Test
    void twoMembersValuesSentOnOneAreReceivedOnTheOtherInOrder(TestInfo info) {
        DistributedChannel<Integer> out = DistributedChannel.open(m0, channelName(info), 8);
        DistributedChannel<Integer> in = DistributedChannel.open(m1, channelName(info), 8);

        Exit<String, Pair<Unit, List<Integer>>> exit = par(sendAll(out, 1, 300).then(out.sender().close()), drain(in)).run();

        assertThat(exit).isInstanceOf(Exit.Success.class);
        assertThat(((Exit.Success<String, Pair<Unit, List<Integer>>>) exit).value().second())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 300).boxed().toList());
    }

    @Test
    void threeMembersProducersOnOneConsumersOnTheOtherTwoGetEveryValueExactlyOnce(TestInfo info) {
        DistributedChannel<Integer> out = DistributedChannel.open(m0, channelName(info), 8);
        DistributedChannel<Integer> in1 = DistributedChannel.open(m1, channelName(info), 8);
        DistributedChannel<Integer> in2 = DistributedChannel.open(m2, channelName(info), 8);

        Effect<String, Unit> producers = par(sendAll(out, 1, 200), sendAll(out, 201, 400)).then(out.sender().close());
        var exit = par(producers, par(drain(in1), drain(in2))).run();

        assertThat(exit).isInstanceOf(Exit.Success.class);
        var got = ((Exit.Success<String, Pair<Unit, Pair<List<Integer>, List<Integer>>>>) exit).value().second();
        List<Integer> all = new ArrayList<>(got.first());
        all.addAll(got.second());
        assertThat(all).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 400).boxed().toList());
        assertThat(got.first()).as("both consumers took part").isNotEmpty();
        assertThat(got.second()).as("both consumers took part").isNotEmpty();
    }

    @Test
    void closeOnAnyMemberDeliversWhatWasSentThenClosedOnEveryMember(TestInfo info) {
        DistributedChannel<Integer> a = DistributedChannel.open(m0, channelName(info), 16);
        DistributedChannel<Integer> b = DistributedChannel.open(m1, channelName(info), 16);
        DistributedChannel<Integer> c = DistributedChannel.open(m2, channelName(info), 16);

        sendAll(a, 1, 5).runOrThrow();
        c.sender().close().runOrThrow(); // a member that never sent
        c.sender().close().runOrThrow(); // idempotent

        assertThat(drain(b).runOrThrow()).containsExactly(1, 2, 3, 4, 5);
        for (DistributedChannel<Integer> ch : List.of(a, b, c)) {
            assertThat(ch.receiver().<String>recv().runOrThrow()).isEqualTo(Result.err(ChannelError.CLOSED));
            assertThat(ch.receiver().tryRecv()).contains(Result.err(ChannelError.CLOSED));
            assertThat(ch.sender().isClosed()).isTrue();
            assertThat(ch.sender().<String>sendOrClosed(9).runOrThrow()).isEqualTo(Result.err(ChannelError.CLOSED));
            assertThat(ch.sender().trySend(9)).isEqualTo(Result.err(ChannelError.CLOSED));
            Exit<String, Unit> send = ch.sender().<String>send(9).run();
            assertThat(send).isInstanceOf(Exit.Defect.class);
            assertThat(((Exit.Defect<String, Unit>) send).cause()).isInstanceOf(ChannelClosedException.class);
        }
        // a member that opens the channel after the close sees it closed
        assertThat(DistributedChannel.<Integer>open(m1, channelName(info), 16).receiver().tryRecv())
                .contains(Result.err(ChannelError.CLOSED));
    }

    @Test
    void closeRacingWithSendsOnTwoMembersLosesNothingAndDeliversNothingReportedClosed(TestInfo info)
            throws InterruptedException {
        String name = channelName(info);
        DistributedChannel<Integer> s0 = DistributedChannel.open(m0, name, 4);
        DistributedChannel<Integer> s1 = DistributedChannel.open(m1, name, 4);
        DistributedChannel<Integer> r2 = DistributedChannel.open(m2, name, 4);
        Set<Integer> accepted = ConcurrentHashMap.newKeySet();
        Set<Integer> refused = ConcurrentHashMap.newKeySet();
        CountDownLatch enoughReceived = new CountDownLatch(150);

        // four senders (two per member) until the channel refuses; ids are disjoint per sender
        List<Effect<String, Unit>> senders = new ArrayList<>();
        int sender = 0;
        for (DistributedChannel<Integer> ch : List.of(s0, s0, s1, s1)) {
            int base = 1_000_000 * ++sender;
            senders.add(sendUntilClosed(ch, base, accepted, refused));
        }
        Effect<String, List<Integer>> consumer = Effect.suspend(() -> r2.receiver().<String, List<Integer>>fold(
                new ArrayList<>(), (acc, v) -> {
                    acc.add(v);
                    enoughReceived.countDown();
                    return acc;
                }));
        Effect<String, Unit> closer = Effect.<String, Unit>sync(() -> {
            try {
                enoughReceived.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return Unit.UNIT;
        }).then(s1.sender().close());

        var lists = par(par(par(senders.get(0), senders.get(1)), par(senders.get(2), senders.get(3))),
                par(closer, par(consumer, consumer))).runOrThrow().second().second();

        List<Integer> received = new ArrayList<>(lists.first());
        received.addAll(lists.second());
        assertThat(new HashSet<>(received)).as("no duplicates").hasSameSizeAs(received);
        assertThat(received).as("exactly the accepted values").containsExactlyInAnyOrderElementsOf(accepted);
        assertThat(refused).as("every sender was refused in the end").hasSize(4);
    }

    private static Effect<String, Unit> sendUntilClosed(DistributedChannel<Integer> ch, int next,
                                                        Set<Integer> accepted, Set<Integer> refused) {
        return ch.sender().<String>sendOrClosed(next).flatMap(r -> {
            if (r.isOk()) {
                accepted.add(next);
                return sendUntilClosed(ch, next + 1, accepted, refused);
            }
            refused.add(next);
            return Effect.unit();
        });
    }

    @Test
    void aSendBlockedOnAFullChannelWaitsAndWhenCancelledDeliversNothing(TestInfo info) {
        DistributedChannel<Integer> out = DistributedChannel.open(m0, channelName(info), 2);
        DistributedChannel<Integer> in = DistributedChannel.open(m1, channelName(info), 2);
        sendAll(out, 1, 2).runOrThrow();
        assertThat(out.sender().trySend(3)).isEqualTo(Result.ok(false));

        long t0 = System.nanoTime();
        Exit<String, Unit> blocked = Concurrency.timeoutWith(300, "still blocked", out.sender().<String>send(3)).run();
        long millis = (System.nanoTime() - t0) / 1_000_000;

        assertThat(blocked).isEqualTo(Exit.failure("still blocked"));
        assertThat(millis).as("cancelled promptly after the timeout").isLessThan(300 + PROMPT_MILLIS);
        // backpressure, then the blocked send goes through as soon as a consumer on another member makes room
        Effect<String, Result<ChannelError, Integer>> recv = in.receiver().recv();
        var received = par(out.sender().<String>send(4), recv.zip(recv).zip(recv)).runOrThrow().second();
        assertThat(List.of(received.first().first(), received.first().second(), received.second()))
                .as("3 was never delivered").containsExactly(Result.ok(1), Result.ok(2), Result.ok(4));
        assertThat(in.receiver().tryRecv()).isEmpty();
    }

    @Test
    void aBlockedRecvOnAnotherMemberIsCancelledPromptlyAndConsumesNothing(TestInfo info) {
        DistributedChannel<Integer> out = DistributedChannel.open(m0, channelName(info), 4);
        DistributedChannel<Integer> in1 = DistributedChannel.open(m1, channelName(info), 4);
        DistributedChannel<Integer> in2 = DistributedChannel.open(m2, channelName(info), 4);

        Effect<String, Long> cancelOneBlockedRecv = Concurrency.<String, Result<ChannelError, Integer>>spawn(
                        in1.receiver().recv())
                .flatMap(task -> Concurrency.<String>sleep(200)
                        .then(Effect.<String, Long>sync(System::nanoTime))
                        .flatMap(t0 -> task.<String>cancel()
                                .then(task.<String>isCancelled())
                                .map(cancelled -> {
                                    assertThat(cancelled).isTrue();
                                    return (System.nanoTime() - t0) / 1_000_000;
                                })));
        long cancelMillis = cancelOneBlockedRecv.runOrThrow();
        assertThat(cancelMillis).as("cancel returned after the recv ended").isLessThan(PROMPT_MILLIS);

        out.sender().<String>send(7).runOrThrow();
        assertThat(in2.receiver().<String>recv().runOrThrow()).as("the cancelled recv took nothing")
                .isEqualTo(Result.ok(7));
    }

    record Holder(Object inside) {
    }

    record Job(int id, String what) implements Serializable {
    }

    @Test
    void recordsThatAreSerializableTravelAndOthersFailTheSendWithAClearError(TestInfo info) {
        DistributedChannel<Object> out = DistributedChannel.open(m0, channelName(info), 4);
        DistributedChannel<Object> in = DistributedChannel.open(m1, channelName(info), 4);

        out.sender().<String>send(new Job(1, "resize")).runOrThrow();
        assertThat(in.receiver().<String>recv().runOrThrow()).isEqualTo(Result.ok(new Job(1, "resize")));

        Exit<String, Unit> bad = out.sender().<String>send(new Holder(new Object())).run();
        assertThat(bad).isInstanceOf(Exit.Defect.class);
        Throwable cause = ((Exit.Defect<String, Unit>) bad).cause();
        assertThat(cause).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Holder.class.getName())
                .hasMessageContaining("java.io.Serializable")
                .hasMessageContaining("'" + channelName(info) + "'")
                .hasMessageContaining("nothing was sent");
        assertThatThrownBy(() -> out.sender().trySend(new Holder(1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(in.receiver().tryRecv()).isEmpty();
    }

    @Test
    void selectRefusesADistributedChannelWithAClearError(TestInfo info) {
        DistributedChannel<Integer> ch = DistributedChannel.open(m0, channelName(info), 4);
        assertThatThrownBy(() -> Clause.recv(ch.receiver(), r -> r))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("cannot take part in a select")
                .hasMessageContaining("'" + channelName(info) + "'");
        assertThatThrownBy(() -> Clause.send(ch.sender(), 1, r -> r))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("cannot take part in a select");
    }

    @Test
    void forEachStreamAndTheConcurrencyFunctionsWorkUnchanged(TestInfo info) {
        DistributedChannel<Integer> out = DistributedChannel.open(m0, channelName(info), 4);
        DistributedChannel<Integer> in = DistributedChannel.open(m2, channelName(info), 4);
        List<Integer> seen = new ArrayList<>();

        Effect<String, Unit> produce = Concurrency.<String, Integer>send(out.sender(), 1)
                .then(Concurrency.send(out.sender(), 2))
                .then(Concurrency.send(out.sender(), 3))
                .then(Concurrency.close(out.sender()));
        Effect<String, Unit> consume = Concurrency.<String, Integer>recv(in.receiver())
                .flatMap(first -> {
                    seen.add(first.isOk() ? ((Result.Ok<ChannelError, Integer>) first).value() : -1);
                    return in.receiver().<String>forEach(v -> Effect.sync(() -> seen.add(v)));
                });
        assertThat(par(produce, consume).run()).isInstanceOf(Exit.Success.class);
        assertThat(seen).containsExactly(1, 2, 3);

        DistributedChannel<Integer> streamed = DistributedChannel.open(m1, channelName(info) + "-stream", 4);
        DistributedChannel<Integer> streamOut = DistributedChannel.open(m0, channelName(info) + "-stream", 4);
        sendAll(streamOut, 1, 3).then(streamOut.sender().close()).runOrThrow();
        assertThat(streamed.receiver().stream().toList()).containsExactly(1, 2, 3); // on a plain thread

        DistributedChannel<Integer> published = DistributedChannel.open(m2, channelName(info) + "-flow", 4);
        DistributedChannel<Integer> flowOut = DistributedChannel.open(m0, channelName(info) + "-flow", 4);
        sendAll(flowOut, 1, 3).then(flowOut.sender().close()).runOrThrow();
        List<Integer> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch completed = new CountDownLatch(1);
        published.receiver().toPublisher().subscribe(new java.util.concurrent.Flow.Subscriber<>() {
            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Integer item) {
                got.add(item);
            }

            @Override
            public void onError(Throwable t) {
                got.add(-1);
                completed.countDown();
            }

            @Override
            public void onComplete() {
                completed.countDown();
            }
        });
        try {
            assertThat(completed.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertThat(got).as("toPublisher, then onComplete after the close").containsExactly(1, 2, 3);
    }

    @Test
    void recvAcknowledgedRemovesTheValueOnlyWhenProcessingSucceeds(TestInfo info) {
        DistributedChannel<String> out = DistributedChannel.open(m0, channelName(info), 4);
        DistributedChannel<String> in = DistributedChannel.open(m1, channelName(info), 4);
        Duration lease = Duration.ofSeconds(30);
        out.sender().<String>send("a").runOrThrow();

        assertThat(in.<String, String>recvAcknowledged(lease, v -> Effect.fail("boom: " + v)).run())
                .isEqualTo(Exit.failure("boom: a"));
        assertThat(Concurrency.timeoutWith(200, "timed out",
                in.<String, String>recvAcknowledged(lease, v -> Effect.<String, String>never())).run())
                .as("cancelled while processing: the value goes back").isEqualTo(Exit.failure("timed out"));
        AtomicInteger handled = new AtomicInteger();
        assertThat(in.<String, String>recvAcknowledged(lease, v -> Effect.sync(() -> {
            handled.incrementAndGet();
            return v + "!";
        })).runOrThrow()).isEqualTo(Result.ok("a!"));
        assertThat(handled).hasValue(1);
        assertThat(in.receiver().tryRecv()).as("committed: gone for good").isEmpty();

        out.sender().<String>close().runOrThrow();
        assertThat(in.<String, String>recvAcknowledged(lease, Effect::succeed).runOrThrow())
                .isEqualTo(Result.err(ChannelError.CLOSED));
        assertThatThrownBy(() -> in.recvAcknowledged(Duration.ZERO, Effect::succeed))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease must be positive, was PT0S");
    }

    @Test
    void openRejectsBadArgumentsNamingThem(TestInfo info) {
        assertThatThrownBy(() -> DistributedChannel.open(m0, channelName(info), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity must be >= 1")
                .hasMessageContaining("was 0");
        assertThatThrownBy(() -> DistributedChannel.open(m0, " ", 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name must not be blank");
        DistributedChannel.open(m0, channelName(info), 4);
        assertThatThrownBy(() -> DistributedChannel.open(m1, channelName(info), 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity 8");
        assertThat(Optional.of(DistributedChannel.open(m2, channelName(info), 4).capacity())).contains(4);
    }
}
