package aivi.concurrency.internal.channel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import aivi.concurrency.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Behaviour of {@link Select}. */
class SelectTest {

    @Test
    void aReadyReceiveClauseCommitsAtOnce() throws Exception {
        Channel<String> a = Channel.create(1);
        Channel<String> b = Channel.create(1);
        b.send("from b");
        Selection s = Select.select(List.of(SelectClause.receive(a), SelectClause.receive(b)));
        assertThat(s).isEqualTo(new Selection.Received(1, "from b"));
        assertThat(b.tryReceive()).isNull();
    }

    @Test
    void aSendClauseDeliversToAWaitingReceiver() throws Exception {
        Channel<String> a = Channel.rendezvous();
        try (Threads threads = new Threads()) {
            Threads.Outcome<String> r = threads.call("receiver", a::receiveOrNull);
            Waiting.untilBlocked(r.thread);
            Selection s = Select.select(List.of(SelectClause.send(a, "hi")));
            assertThat(s).isEqualTo(new Selection.Sent(0));
            assertThat(r.get()).isEqualTo("hi");
        }
    }

    /**
     * The waiting select under test: {@link Select#select(List)}, or {@link Select#selectAfterTry} (for a caller
     * whose try just failed), which must behave the same.
     */
    private static Selection waitingSelect(List<SelectClause<?>> clauses, boolean afterTry)
            throws InterruptedException {
        return afterTry ? Select.selectAfterTry(Select.plan(clauses, false)) : Select.select(clauses);
    }

    @ParameterizedTest(name = "afterTry {0}")
    @ValueSource(booleans = {false, true})
    void aWaitingSelectIsCommittedByTheFirstCounterpart(boolean afterTry) throws Exception {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.rendezvous();
        List<SelectClause<?>> clauses = List.of(SelectClause.receive(a), SelectClause.send(b, "out"));
        try (Threads threads = new Threads()) {
            Threads.Outcome<Selection> sel = threads.call("selector", () -> waitingSelect(clauses, afterTry));
            Waiting.untilBlocked(sel.thread);
            assertThat(b.receiveOrNull()).isEqualTo("out");
            assertThat(sel.get()).isEqualTo(new Selection.Sent(1));
            // The receive clause consumed nothing and left no receiver behind.
            assertThat(a.trySend("late")).as("no receiver left behind").isEqualTo(Channel.Offer.FULL);
        }
    }

    @Test
    void defaultIsTakenWhenNoClauseIsReadyAndNothingIsConsumedOrDelivered() {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.rendezvous();
        Selection s = Select.selectOrDefault(List.of(SelectClause.receive(a), SelectClause.send(b, "x")));
        assertThat(s).isEqualTo(new Selection.Default());
        assertThat(a.trySend("v")).isEqualTo(Channel.Offer.FULL);
        assertThat(b.tryReceive()).isNull();
    }

    @Test
    void defaultIsNotTakenWhenAClauseIsReady() {
        Channel<String> a = Channel.create(2);
        assertThat(a.trySend("v")).isEqualTo(Channel.Offer.DELIVERED);
        assertThat(Select.selectOrDefault(List.of(SelectClause.receive(a))))
                .isEqualTo(new Selection.Received(0, "v"));
    }

    @Test
    void timeoutFiresOnlyWhenTheGivenClockReachesTheDeadline() throws Exception {
        TestClock clock = new TestClock();
        Channel<String> a = Channel.rendezvous();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Selection> sel = threads.call("selector", () -> Select.selectWithin(
                    List.of(SelectClause.receive(a)), Duration.ofSeconds(1).toNanos(), clock));
            clock.awaitSleepers(1, Duration.ofSeconds(10));
            clock.advance(Duration.ofMillis(999));
            clock.awaitSleepers(1, Duration.ofSeconds(10)); // not woken early: still parked
            assertThat(sel.thread.isAlive()).isTrue();
            clock.advance(Duration.ofMillis(1));
            assertThat(sel.get()).isEqualTo(new Selection.TimedOut());
            assertThat(a.trySend("late")).as("no receiver left behind").isEqualTo(Channel.Offer.FULL);
        }
    }

    @Test
    void aClauseThatCommitsBeforeTheDeadlineWins() throws Exception {
        TestClock clock = new TestClock();
        Channel<String> a = Channel.rendezvous();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Selection> sel = threads.call("selector", () -> Select.selectWithin(
                    List.of(SelectClause.receive(a)), Duration.ofSeconds(1).toNanos(), clock));
            clock.awaitSleepers(1, Duration.ofSeconds(10));
            a.send("in time");
            assertThat(sel.get()).isEqualTo(new Selection.Received(0, "in time"));
        }
    }

    @Test
    void aZeroTimeoutStillTakesAReadyClause() throws Exception {
        Channel<String> a = Channel.create(1);
        a.send("v");
        TestClock clock = new TestClock();
        assertThat(Select.selectWithin(List.of(SelectClause.receive(a)), 0, clock))
                .isEqualTo(new Selection.Received(0, "v"));
        assertThat(Select.selectWithin(List.of(SelectClause.receive(a)), 0, clock))
                .isEqualTo(new Selection.TimedOut());
    }

    @Test
    void aClosedChannelMakesItsClauseCommitAsClosed() throws Exception {
        Channel<String> open = Channel.rendezvous();
        Channel<String> closed = Channel.create(1);
        closed.close();
        assertThat(Select.select(List.of(SelectClause.receive(open), SelectClause.receive(closed))))
                .isEqualTo(new Selection.Closed(1));
        assertThat(Select.select(List.of(SelectClause.receive(open), SelectClause.send(closed, "x"))))
                .isEqualTo(new Selection.Closed(1));
    }

    @Test
    void closeWakesAWaitingSelectWithClosed() throws Exception {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.rendezvous();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Selection> sel = threads.call("selector",
                    () -> Select.select(List.of(SelectClause.receive(a), SelectClause.send(b, "x"))));
            Waiting.untilBlocked(sel.thread);
            b.close();
            assertThat(sel.get()).isEqualTo(new Selection.Closed(1));
            assertThat(a.trySend("v")).isEqualTo(Channel.Offer.FULL);
        }
    }

    @ParameterizedTest(name = "afterTry {0}")
    @ValueSource(booleans = {false, true})
    void anInterruptedSelectThrowsAndCommitsNothing(boolean afterTry) throws Exception {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.rendezvous();
        List<SelectClause<?>> clauses = List.of(SelectClause.receive(a), SelectClause.send(b, "x"));
        try (Threads threads = new Threads()) {
            Threads.Outcome<Selection> sel = threads.call("selector", () -> waitingSelect(clauses, afterTry));
            Waiting.untilBlocked(sel.thread);
            sel.thread.interrupt();
            assertThat(sel.failure()).isInstanceOf(InterruptedException.class);
            assertThat(a.trySend("v")).isEqualTo(Channel.Offer.FULL);
            assertThat(b.tryReceive()).isNull();
        }
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> waitingSelect(clauses, afterTry)).as("interrupted before it could wait")
                .isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        assertThat(a.trySend("v")).as("nothing registered").isEqualTo(Channel.Offer.FULL);
        assertThatThrownBy(() -> waitingSelect(List.of(), afterTry))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one clause");
    }

    @Test
    void anInterruptedTimedSelectThrowsAndCommitsNothing() throws Exception {
        TestClock clock = new TestClock();
        Channel<String> a = Channel.rendezvous();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Selection> sel = threads.call("selector", () -> Select.selectWithin(
                    List.of(SelectClause.receive(a)), Duration.ofSeconds(1).toNanos(), clock));
            clock.awaitSleepers(1, Duration.ofSeconds(10));
            sel.thread.interrupt();
            assertThat(sel.failure()).isInstanceOf(InterruptedException.class);
            assertThat(a.trySend("v")).isEqualTo(Channel.Offer.FULL);
        }
    }

    @Test
    void anEmptySelectWithoutDefaultOrTimeoutIsRejected() {
        assertThatThrownBy(() -> Select.select(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one clause");
    }

    @Test
    void readyClausesAreChosenInARandomOrderSoNoneStarves() throws Exception {
        Channel<Integer> a = Channel.create(Channel.UNBOUNDED);
        Channel<Integer> b = Channel.create(Channel.UNBOUNDED);
        int rounds = 2_000;
        for (int i = 0; i < rounds; i++) {
            a.send(i);
            b.send(i);
        }
        int[] chosen = new int[2];
        for (int i = 0; i < rounds; i++) {
            Selection s = Select.select(List.of(SelectClause.receive(a), SelectClause.receive(b)));
            chosen[((Selection.Received) s).clause()]++;
        }
        // Expected 1,000 each; fewer than 700 would be astronomically unlikely for a fair coin.
        assertThat(chosen[0]).isGreaterThan(700);
        assertThat(chosen[1]).isGreaterThan(700);
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1, 16})
    void underContentionEachSelectCommitsExactlyOneClause(int capacity) throws Exception {
        Channel<Integer> in = Channel.create(capacity);   // selectors receive from it
        Channel<Integer> out = Channel.create(capacity);  // selectors send to it
        int selectors = 4;
        int perSelector = 3_000;
        Set<Integer> sentIn = ConcurrentHashMap.newKeySet();       // accepted by `in`
        Set<Integer> receivedBySelectors = ConcurrentHashMap.newKeySet();
        Set<Integer> sentBySelectors = ConcurrentHashMap.newKeySet();
        Set<Integer> receivedOut = ConcurrentHashMap.newKeySet();
        List<Thread> selectorThreads = new ArrayList<>();
        try (Threads threads = new Threads()) {
            for (int t = 0; t < selectors; t++) {
                int base = 1_000_000 * (t + 1);
                selectorThreads.add(threads.start("selector-" + t, () -> {
                    for (int i = 0; i < perSelector; i++) {
                        int offered = base + i;
                        Selection s = Select.select(List.of(SelectClause.receive(in), SelectClause.send(out, offered)));
                        switch (s) {
                            case Selection.Received r -> assertThat(receivedBySelectors.add((Integer) r.value()))
                                    .as("duplicate receive").isTrue();
                            case Selection.Sent x -> assertThat(sentBySelectors.add(offered)).isTrue();
                            default -> throw new AssertionError("unexpected " + s);
                        }
                    }
                }));
            }
            for (int t = 0; t < 2; t++) {
                int base = 100_000 * (t + 1);
                threads.start("feeder-" + t, () -> {
                    for (int i = 0; ; i++) {
                        if (ThreadLocalRandom.current().nextInt(8) == 0) {
                            Thread.yield();
                        }
                        if (!in.sendOrClosed(base + i)) {
                            return;
                        }
                        sentIn.add(base + i);
                    }
                });
                threads.start("drainer-" + t, () -> {
                    for (Integer v; (v = out.receiveOrNull()) != null; ) {
                        assertThat(receivedOut.add(v)).as("duplicate delivery").isTrue();
                    }
                });
            }
            for (Thread t : selectorThreads) {
                Threads.join(t);
            }
            in.close();
            out.close();
        }
        // Whatever `in` accepted but no selector took is still buffered there.
        List<Integer> leftInIn = new ArrayList<>();
        for (Integer v; (v = in.receiveOrNull()) != null; ) {
            leftInIn.add(v);
        }
        assertThat(receivedBySelectors.size() + sentBySelectors.size()).isEqualTo(selectors * perSelector);
        Set<Integer> accounted = ConcurrentHashMap.newKeySet();
        accounted.addAll(receivedBySelectors);
        accounted.addAll(leftInIn);
        assertThat(accounted).hasSize(receivedBySelectors.size() + leftInIn.size()).isEqualTo(sentIn);
        assertThat(receivedOut).isEqualTo(sentBySelectors);
    }

    // selectAfterTry (the fiber path: its selectOrDefault just found nothing, so the waiter and nodes are
    // allocated up front and the first locked pass registers them) keeps every rule of select.

    @Test
    void selectAfterTryTakesAClauseThatIsReadyOnItsFirstPass() throws Exception {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.create(1);
        b.send("from b");
        Select.Plan plan = Select.plan(List.of(SelectClause.receive(a), SelectClause.receive(b)), false);
        assertThat(Select.selectAfterTry(plan)).isEqualTo(new Selection.Received(1, "from b"));
        assertThat(b.tryReceive()).isNull();
        assertThat(a.trySend("x")).as("no receiver left behind on a").isEqualTo(Channel.Offer.FULL);
        a.close();
        assertThat(Select.selectAfterTry(plan)).as("a closed channel's clause is ready").isEqualTo(new Selection.Closed(0));
    }

    @Test
    void likelyWaitsAnswersExactlyWhenNothingRaces() throws Exception {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.create(1);
        Select.Plan plan = Select.plan(List.of(SelectClause.receive(a), SelectClause.send(b, "x")), false);
        assertThat(plan.likelyWaits()).as("room in b").isFalse();
        b.send("fill");
        assertThat(plan.likelyWaits()).as("a empty, b full").isTrue();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Boolean> s = threads.call("sender", () -> a.sendOrClosed("v"));
            Waiting.untilBlocked(s.thread);
            assertThat(plan.likelyWaits()).as("a sender waits on a").isFalse();
            assertThat(Select.select(plan)).isEqualTo(new Selection.Received(0, "v"));
            assertThat(s.get()).isTrue();
        }
        assertThat(Select.plan(List.of(), false).likelyWaits()).as("no clause").isFalse();
    }
}
