package aivi.concurrency.internal.channel;

import aivi.concurrency.ChannelClosedException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many producers and consumers on virtual threads while random ones are interrupted (the library's
 * cancellation): every value whose send succeeded is received exactly once, and no value whose send
 * was interrupted is ever received. Half of the consumers receive through a select that also waits on
 * an idle channel, so select registration and clean-up are interrupted too.
 */
class ChannelStressTest {

    private static final int PRODUCERS = 8;
    private static final int CONSUMERS = 8;
    /** Distinct values per run (the full million is in reach: raise it locally with -Dstress.values). */
    private static final int VALUES = Integer.getInteger("stress.values", 200_000);
    private static final int INTERRUPTS = 5_000;

    private static final byte PENDING = 0;
    private static final byte SENT = 1;
    private static final byte FAILED = 2;

    static Stream<Arguments> seedsAndCapacities() {
        List<Arguments> all = new ArrayList<>();
        for (long seed : new long[] {1L, 0x5eedL, 20_260_101L}) {
            for (int capacity : new int[] {0, 1, 16, Channel.UNBOUNDED}) {
                all.add(Arguments.of(seed, capacity));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "seed {0}, capacity {1}")
    @MethodSource("seedsAndCapacities")
    void everySuccessfulSendIsReceivedExactlyOnceAndNoInterruptedSendIsReceived(long seed, int capacity)
            throws Exception {
        String context = "seed " + seed + ", capacity " + capacity;
        Random random = new Random(seed);
        Channel<Integer> ch = Channel.create(capacity);
        Channel<Integer> idle = Channel.rendezvous();
        byte[] outcome = new byte[VALUES];            // each slot written by its producer only
        AtomicIntegerArray received = new AtomicIntegerArray(VALUES);
        List<SelectClause<Integer>> clauses = List.of(SelectClause.receive(ch), SelectClause.receive(idle));

        try (Threads threads = new Threads()) {
            List<Thread> producers = new ArrayList<>();
            List<Thread> targets = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int from = p * (VALUES / PRODUCERS);
                int to = p == PRODUCERS - 1 ? VALUES : from + VALUES / PRODUCERS;
                producers.add(threads.start("producer-" + p, () -> {
                    for (int v = from; v < to; v++) {
                        try {
                            ch.send(v);
                            outcome[v] = SENT;
                        } catch (InterruptedException | ChannelClosedException e) {
                            outcome[v] = FAILED;
                        }
                    }
                }));
            }
            targets.addAll(producers);
            List<Thread> consumers = new ArrayList<>();
            for (int c = 0; c < CONSUMERS; c++) {
                boolean viaSelect = c % 2 == 1;
                consumers.add(threads.start("consumer-" + c, () -> {
                    for (;;) {
                        Integer v;
                        try {
                            if (viaSelect) {
                                Selection s = Select.select(clauses);
                                if (s instanceof Selection.Closed closed) {
                                    assertThat(closed.clause()).as(context).isZero();
                                    return;
                                }
                                Selection.Received r = (Selection.Received) s;
                                assertThat(r.clause()).as(context).isZero();
                                v = (Integer) r.value();
                            } else {
                                v = ch.receiveOrNull();
                                if (v == null) {
                                    return;
                                }
                            }
                        } catch (InterruptedException e) {
                            continue; // nothing was consumed
                        }
                        received.incrementAndGet(v);
                    }
                }));
            }
            targets.addAll(consumers);

            Thread interrupter = threads.start("interrupter", () -> {
                for (int i = 0; i < INTERRUPTS && producers.stream().anyMatch(Thread::isAlive); i++) {
                    targets.get(random.nextInt(targets.size())).interrupt();
                    for (int k = random.nextInt(64); k > 0; k--) {
                        Thread.yield();
                    }
                }
            });

            for (Thread p : producers) {
                Threads.join(p);
            }
            Threads.join(interrupter);
            ch.close();
            for (Thread c : consumers) {
                Threads.join(c);
            }
        }

        for (Integer v; (v = ch.tryReceive()) != null; ) {
            received.incrementAndGet(v); // nothing should be left, but count it if it is
        }
        int sent = 0;
        for (int v = 0; v < VALUES; v++) {
            assertThat(outcome[v]).as("%s: value %d has no send outcome", context, v).isNotEqualTo(PENDING);
            if (outcome[v] == SENT) {
                sent++;
                assertThat(received.get(v)).as("%s: value %d was sent", context, v).isEqualTo(1);
            } else {
                assertThat(received.get(v)).as("%s: value %d was not sent", context, v).isZero();
            }
        }
        assertThat(sent).as(context + ": most sends succeed").isGreaterThan(VALUES / 2);
        assertThat(ch.queuedWaiters()).as(context + ": waiters left in the channel").isZero();
        assertThat(idle.queuedWaiters()).as(context + ": select nodes left in the idle channel").isZero();
    }
}
