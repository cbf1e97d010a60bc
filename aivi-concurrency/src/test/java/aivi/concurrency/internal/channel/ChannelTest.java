package aivi.concurrency.internal.channel;

import aivi.concurrency.ChannelClosedException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Behaviour of {@link Channel}: one test per rule, over the capacities where the rule applies. */
class ChannelTest {

    /** Rendezvous, tiny buffer, ordinary buffer, unbounded. */
    static final int RENDEZVOUS = 0;

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1, 16, Channel.UNBOUNDED})
    void valuesFromOneSenderArriveInSendOrder(int capacity) throws Exception {
        Channel<Integer> ch = Channel.create(capacity);
        try (Threads threads = new Threads()) {
            threads.start("producer", () -> {
                for (int i = 0; i < 10_000; i++) {
                    ch.send(i);
                }
                ch.close();
            });
            List<Integer> got = new ArrayList<>();
            for (Integer v; (v = ch.receiveOrNull()) != null; ) {
                got.add(v);
            }
            assertThat(got).hasSize(10_000).isSorted();
        }
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {1, 16, Channel.UNBOUNDED})
    void closeKeepsBufferedValuesThenEveryReceiveSaysClosedAtOnce(int capacity) throws Exception {
        Channel<String> ch = Channel.create(capacity);
        ch.send("a");
        assertThat(ch.close()).isTrue();
        assertThat(ch.isClosedForSend()).isTrue();
        assertThat(ch.isClosedForReceive()).isFalse();
        assertThat(ch.receiveOrNull()).isEqualTo("a");
        assertThat(ch.isClosedForReceive()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(ch.receiveOrNull()).isNull();
            assertThat(ch.tryReceive()).isNull();
        }
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1, 16, Channel.UNBOUNDED})
    void sendAfterCloseThrowsChannelClosedExceptionSayingTheChannelWasClosed(int capacity) {
        Channel<String> ch = Channel.create(capacity);
        ch.close();
        assertThatThrownBy(() -> ch.send("x"))
                .isInstanceOf(ChannelClosedException.class)
                .hasMessageContaining("channel was closed");
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1, 16, Channel.UNBOUNDED})
    void sendOrClosedReturnsFalseAfterCloseAndDeliversNothing(int capacity) throws Exception {
        Channel<String> ch = Channel.create(capacity);
        ch.close();
        assertThat(ch.sendOrClosed("x")).isFalse();
        assertThat(ch.trySend("y")).isEqualTo(Channel.Offer.CLOSED);
        assertThat(ch.receiveOrNull()).isNull();
    }

    @Test
    void closeIsIdempotent() {
        Channel<String> ch = Channel.create(4);
        assertThat(ch.close()).isTrue();
        assertThat(ch.close()).isFalse();
        assertThat(ch.close()).isFalse();
        assertThat(ch.isClosedForReceive()).isTrue();
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1, 16})
    void closeWakesEveryBlockedSenderWithChannelClosedException(int capacity) throws Exception {
        Channel<Integer> ch = Channel.create(capacity);
        for (int i = 0; i < capacity; i++) {
            ch.send(-1 - i); // fill the buffer so that the next sends block
        }
        try (Threads threads = new Threads()) {
            List<Threads.Outcome<Void>> senders = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int v = i;
                senders.add(threads.call("sender-" + i, () -> {
                    ch.send(v);
                    return null;
                }));
            }
            for (Threads.Outcome<Void> s : senders) {
                Waiting.untilBlocked(s.thread);
            }
            ch.close();
            for (Threads.Outcome<Void> s : senders) {
                assertThat(s.failure()).isInstanceOf(ChannelClosedException.class)
                        .hasMessageContaining("channel was closed");
            }
            // The values buffered before close are still delivered; the failed sends' values are not.
            for (int i = 0; i < capacity; i++) {
                assertThat(ch.receiveOrNull()).isEqualTo(-1 - i);
            }
            assertThat(ch.receiveOrNull()).isNull();
        }
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1, 16, Channel.UNBOUNDED})
    void closeWakesEveryBlockedReceiverWithClosed(int capacity) throws Exception {
        Channel<Integer> ch = Channel.create(capacity);
        try (Threads threads = new Threads()) {
            List<Threads.Outcome<Integer>> receivers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                receivers.add(threads.call("receiver-" + i, ch::receiveOrNull));
            }
            for (Threads.Outcome<Integer> r : receivers) {
                Waiting.untilBlocked(r.thread);
            }
            ch.close();
            for (Threads.Outcome<Integer> r : receivers) {
                assertThat(r.get()).isNull();
            }
        }
    }

    @Test
    void nullValuesAreRejectedWithAMessageNamingTheArgument() {
        Channel<String> ch = Channel.create(1);
        assertThatThrownBy(() -> ch.send(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("value");
        assertThatThrownBy(() -> ch.sendOrClosed(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("value");
        assertThatThrownBy(() -> ch.trySend(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("value");
        assertThat(ch.tryReceive()).isNull();
    }

    @Test
    void negativeCapacityIsRejectedNamingTheValue() {
        assertThatThrownBy(() -> Channel.create(-2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-2");
        assertThatThrownBy(() -> Channel.buffered(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 0");
    }

    @Test
    void trySendFillsTheBufferThenReportsFull() {
        Channel<Integer> ch = Channel.create(2);
        assertThat(ch.trySend(1)).isEqualTo(Channel.Offer.DELIVERED);
        assertThat(ch.trySend(2)).isEqualTo(Channel.Offer.DELIVERED);
        assertThat(ch.trySend(3)).isEqualTo(Channel.Offer.FULL);
        assertThat(ch.tryReceive()).isEqualTo(1);
        assertThat(ch.tryReceive()).isEqualTo(2);
        assertThat(ch.tryReceive()).isNull();
    }

    @Test
    void trySendOnRendezvousIsFullWithoutAReceiverAndDeliversToAWaitingOne() throws Exception {
        Channel<String> ch = Channel.rendezvous();
        assertThat(ch.trySend("nobody")).isEqualTo(Channel.Offer.FULL);
        try (Threads threads = new Threads()) {
            Threads.Outcome<String> r = threads.call("receiver", ch::receiveOrNull);
            Waiting.until(() -> ch.trySend("hello") == Channel.Offer.DELIVERED, "trySend delivered");
            assertThat(r.get()).isEqualTo("hello");
        }
    }

    @Test
    void tryReceiveOnRendezvousTakesFromAWaitingSender() throws Exception {
        Channel<String> ch = Channel.rendezvous();
        assertThat(ch.tryReceive()).isNull();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Boolean> s = threads.call("sender", () -> ch.sendOrClosed("v"));
            String[] got = new String[1];
            Waiting.until(() -> (got[0] = ch.tryReceive()) != null, "tryReceive took a value");
            assertThat(got[0]).isEqualTo("v");
            assertThat(s.get()).isTrue();
        }
    }

    @Test
    void rendezvousSendWaitsUntilAReceiverTakesTheValue() throws Exception {
        Channel<String> ch = Channel.rendezvous();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Boolean> s = threads.call("sender", () -> ch.sendOrClosed("v"));
            Waiting.untilBlocked(s.thread);
            assertThat(s.thread.isAlive()).as("send returned without a receiver").isTrue();
            assertThat(ch.receiveOrNull()).isEqualTo("v");
            assertThat(s.get()).isTrue();
        }
    }

    @Test
    void unboundedSendNeverBlocks() throws Exception {
        Channel<Integer> ch = Channel.unbounded();
        for (int i = 0; i < 100_000; i++) {
            ch.send(i);
        }
        for (int i = 0; i < 100_000; i++) {
            assertThat(ch.tryReceive()).isEqualTo(i);
        }
    }

    @ParameterizedTest(name = "capacity {0}, after a try {1}")
    @CsvSource({"0, false", "1, false", "16, false", "0, true", "1, true", "16, true"})
    void interruptedBlockedSendThrowsAndDeliversNothing(int capacity, boolean afterTry) throws Exception {
        Channel<Integer> ch = Channel.create(capacity);
        for (int i = 0; i < capacity; i++) {
            ch.send(i);
        }
        try (Threads threads = new Threads()) {
            Threads.Outcome<Void> s = threads.call("sender", () -> {
                if (afterTry) {
                    ch.sendAfterTry(999, true);
                } else {
                    ch.send(999);
                }
                return null;
            });
            Waiting.untilBlocked(s.thread);
            s.thread.interrupt();
            assertThat(s.failure()).isInstanceOf(InterruptedException.class);
            for (int i = 0; i < capacity; i++) {
                assertThat(ch.tryReceive()).isEqualTo(i);
            }
            assertThat(ch.tryReceive()).as("the interrupted send's value").isNull();
            // Its waiter is gone too: a rendezvous trySend finds no receiver, a buffered one has room.
            ch.close();
            assertThat(ch.receiveOrNull()).isNull();
        }
    }

    @ParameterizedTest(name = "capacity {0}, after a try {1}")
    @CsvSource({"0, false", "1, false", "16, false", "-1, false", "0, true", "1, true", "16, true", "-1, true"})
    void interruptedBlockedReceiveThrowsAndConsumesNothing(int capacity, boolean afterTry) throws Exception {
        Channel<Integer> ch = Channel.create(capacity);
        try (Threads threads = new Threads()) {
            Threads.Outcome<Integer> r = threads.call("receiver",
                    afterTry ? () -> ch.receiveOrNullAfterTry(true) : ch::receiveOrNull);
            Waiting.untilBlocked(r.thread);
            r.thread.interrupt();
            assertThat(r.failure()).isInstanceOf(InterruptedException.class);
            // The dead receiver must not swallow a later value.
            if (capacity == RENDEZVOUS) {
                assertThat(ch.trySend(7)).isEqualTo(Channel.Offer.FULL);
            } else {
                assertThat(ch.trySend(7)).isEqualTo(Channel.Offer.DELIVERED);
                assertThat(ch.tryReceive()).isEqualTo(7);
            }
        }
    }

    @Test
    void aBlockingOpThatCannotCompleteThrowsAtOnceWhenAlreadyInterrupted() throws Exception {
        Channel<Integer> ch = Channel.rendezvous();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> ch.send(1)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        Thread.currentThread().interrupt();
        assertThatThrownBy(ch::receiveOrNull).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        assertThat(ch.trySend(2)).as("no receiver was left behind").isEqualTo(Channel.Offer.FULL);
    }

    @Test
    void anOpThatCanCompleteAtOnceCompletesEvenWhenInterruptedAndKeepsTheFlag() throws Exception {
        Channel<Integer> ch = Channel.create(1);
        Thread.currentThread().interrupt();
        try {
            ch.send(1);
            assertThat(ch.receiveOrNull()).isEqualTo(1);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void manySendersAndReceiversTransferEveryValueExactlyOnce() throws Exception {
        for (int capacity : new int[] {0, 1, 16, Channel.UNBOUNDED}) {
            Channel<Integer> ch = Channel.create(capacity);
            int perProducer = 5_000;
            int producers = 4;
            AtomicIntegerArray seen = new AtomicIntegerArray(perProducer * producers);
            AtomicInteger received = new AtomicInteger();
            try (Threads threads = new Threads()) {
                List<Thread> ps = new ArrayList<>();
                for (int p = 0; p < producers; p++) {
                    int base = p * perProducer;
                    ps.add(threads.start("p" + p, () -> {
                        for (int i = 0; i < perProducer; i++) {
                            ch.send(base + i);
                        }
                    }));
                }
                for (int c = 0; c < 4; c++) {
                    threads.start("c" + c, () -> {
                        for (Integer v; (v = ch.receiveOrNull()) != null; ) {
                            assertThat(seen.getAndSet(v, 1)).as("duplicate %s", v).isZero();
                            received.incrementAndGet();
                        }
                    });
                }
                for (Thread p : ps) {
                    Threads.join(p);
                }
                ch.close();
            }
            assertThat(received.get()).as("capacity %s", capacity).isEqualTo(perProducer * producers);
        }
    }

    @Test
    void anUnboundedBufferGivesItsArrayBackWhenABurstHasDrained() throws Exception {
        Channel<Integer> ch = Channel.unbounded();
        int burst = 100_000;
        for (int i = 0; i < burst; i++) {
            ch.send(i);
        }
        assertThat(ch.bufferLengthLocked()).isGreaterThanOrEqualTo(burst);
        for (int i = 0; i < burst; i++) {
            assertThat(ch.receiveOrNull()).isEqualTo(i);
        }
        assertThat(ch.bufferLengthLocked()).isZero();
        // and it works as before: grows again from the initial size, in order
        for (int i = 0; i < 40; i++) {
            assertThat(ch.trySend(i)).isEqualTo(Channel.Offer.DELIVERED);
        }
        assertThat(ch.bufferLengthLocked()).isLessThanOrEqualTo(64);
        for (int i = 0; i < 40; i++) {
            assertThat(ch.tryReceive()).isEqualTo(i);
        }
    }

    @Test
    void aLargeBoundedBufferAlsoGivesItsArrayBackAndKeepsItsBound() throws Exception {
        Channel<Integer> ch = Channel.create(5_000);
        for (int i = 0; i < 5_000; i++) {
            assertThat(ch.trySend(i)).isEqualTo(Channel.Offer.DELIVERED);
        }
        assertThat(ch.trySend(-1)).isEqualTo(Channel.Offer.FULL);
        for (int i = 0; i < 5_000; i++) {
            assertThat(ch.tryReceive()).isEqualTo(i);
        }
        assertThat(ch.bufferLengthLocked()).isZero();
        for (int i = 0; i < 5_000; i++) {
            assertThat(ch.trySend(i)).isEqualTo(Channel.Offer.DELIVERED);
        }
        assertThat(ch.trySend(-1)).isEqualTo(Channel.Offer.FULL);
    }

    // The AfterTry variants (the fiber path: its try just failed, so the wait node is allocated up front and the
    // first locked attempt enqueues it) keep every rule of the plain operations.

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {0, 1, 16, Channel.UNBOUNDED})
    void afterTryVariantsTransferEveryValueInOrderAndSeeTheClose(int capacity) throws Exception {
        Channel<Integer> ch = Channel.create(capacity);
        int n = 2_000;
        try (Threads threads = new Threads()) {
            Threads.Outcome<Void> s = threads.call("sender", () -> {
                for (int i = 0; i < n; i++) {
                    assertThat(ch.sendOrClosedAfterTry(i, true)).isTrue();
                }
                ch.close();
                return null;
            });
            for (int i = 0; i < n; i++) {
                assertThat(ch.receiveOrNullAfterTry(true)).isEqualTo(i);
            }
            assertThat(ch.receiveOrNullAfterTry(true)).as("closed and drained").isNull();
            s.get();
        }
        assertThat(ch.sendOrClosedAfterTry(1, true)).as("a send after close").isFalse();
        assertThat(ch.tryReceive()).isNull();
    }

    @Test
    void afterTryVariantsCompleteAtOnceWhenTheyCanAndGrowAnUnboundedBuffer() throws Exception {
        Channel<Integer> ch = Channel.unbounded();
        int n = 10 * RingBuffer.INITIAL_ARRAY; // past several doublings, each with the node already allocated
        for (int i = 0; i < n; i++) {
            assertThat(ch.sendOrClosedAfterTry(i, true)).isTrue();
        }
        for (int i = 0; i < n; i++) {
            assertThat(ch.receiveOrNullAfterTry(true)).isEqualTo(i);
        }
        assertThat(ch.tryReceive()).isNull();
    }

    @Test
    void afterTryOpsThatCannotCompleteThrowAtOnceWhenAlreadyInterruptedAndEnqueueNothing() {
        Channel<Integer> ch = Channel.rendezvous();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> ch.sendOrClosedAfterTry(1, true)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        assertThat(ch.tryReceive()).as("no sender was left behind").isNull();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> ch.receiveOrNullAfterTry(true)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        assertThat(ch.trySend(2)).as("no receiver was left behind").isEqualTo(Channel.Offer.FULL);
    }

    @Test
    void afterTryVariantsRejectNullNamingTheArgument() {
        Channel<Integer> ch = Channel.rendezvous();
        assertThatThrownBy(() -> ch.sendOrClosedAfterTry(null, true))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("value");
    }

    @Test
    void theWaitHintsAnswerExactlyWhenNothingRaces() throws Exception {
        Channel<Integer> rendezvous = Channel.rendezvous();
        assertThat(rendezvous.sendLikelyWaits()).as("no receiver").isTrue();
        assertThat(rendezvous.receiveLikelyWaits()).as("no sender").isTrue();
        try (Threads threads = new Threads()) {
            Threads.Outcome<Integer> r = threads.call("receiver", rendezvous::receiveOrNull);
            Waiting.untilBlocked(r.thread);
            assertThat(rendezvous.sendLikelyWaits()).as("a receiver waits").isFalse();
            rendezvous.send(1);
            assertThat(r.get()).isEqualTo(1);
            Threads.Outcome<Boolean> s = threads.call("sender", () -> rendezvous.sendOrClosed(2));
            Waiting.untilBlocked(s.thread);
            assertThat(rendezvous.receiveLikelyWaits()).as("a sender waits").isFalse();
            assertThat(rendezvous.receiveOrNull()).isEqualTo(2);
            assertThat(s.get()).isTrue();
        }
        Channel<Integer> one = Channel.buffered(1);
        assertThat(one.sendLikelyWaits()).as("room").isFalse();
        assertThat(one.receiveLikelyWaits()).as("empty").isTrue();
        one.send(1);
        assertThat(one.sendLikelyWaits()).as("full").isTrue();
        assertThat(one.receiveLikelyWaits()).as("a value").isFalse();
        Channel<Integer> unbounded = Channel.unbounded();
        for (int i = 0; i < 3 * RingBuffer.INITIAL_ARRAY; i++) {
            assertThat(unbounded.sendLikelyWaits()).as("an unbounded send never waits").isFalse();
            unbounded.send(i);
        }
    }

    @Test
    void anAfterTryWaitToldNotToSpinParksAtOnceAndLeavesTheBudgetAlone() throws Exception {
        Channel<Integer> ch = Channel.rendezvous();
        int full = ch.spins();
        assumeTrue(full > 0, "one CPU: nothing spins");
        try (Threads threads = new Threads()) {
            Threads.Outcome<Integer> r = threads.call("receiver", () -> ch.receiveOrNullAfterTry(false));
            Waiting.untilBlocked(r.thread);
            ch.send(1);
            assertThat(r.get()).isEqualTo(1);
            assertThat(ch.spins()).as("a wait that did not spin says nothing about spinning").isEqualTo(full);
            Threads.Outcome<Boolean> s = threads.call("sender", () -> ch.sendOrClosedAfterTry(2, false));
            Waiting.untilBlocked(s.thread);
            assertThat(ch.receiveOrNull()).isEqualTo(2);
            assertThat(s.get()).isTrue();
            assertThat(ch.spins()).isEqualTo(full);
            // A wait that may spin, finds no counterpart in time and parks halves the budget.
            Threads.Outcome<Integer> spun = threads.call("spinning receiver", () -> ch.receiveOrNullAfterTry(true));
            Waiting.untilBlocked(spun.thread);
            ch.send(3);
            assertThat(spun.get()).isEqualTo(3);
        }
        assertThat(ch.spins()).isLessThan(full);
    }
}
