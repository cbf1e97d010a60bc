package aivi.concurrency.internal.channel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fairness of {@link Select}, after Go's {@code TestSelectFairness} and {@code TestPseudoRandomSend}
 * (rewritten for this engine, not copied). The bounds are many standard deviations wide: a fair select fails
 * them with a probability far below 1e-20, a biased one fails them every time.
 */
class SelectFairnessTest {

    private static final int TRIALS = 10_000;

    /**
     * Counts which clause a select takes when the clauses at {@code ready} always have a value and the others
     * never do.
     */
    private static int[] choices(int clauses, int... ready) throws InterruptedException {
        List<Channel<Integer>> channels = new ArrayList<>();
        List<SelectClause<?>> cs = new ArrayList<>();
        for (int i = 0; i < clauses; i++) {
            Channel<Integer> ch = Channel.unbounded();
            channels.add(ch);
            cs.add(SelectClause.receive(ch));
        }
        for (int r : ready) {
            for (int t = 0; t < TRIALS; t++) {
                channels.get(r).send(t);
            }
        }
        int[] counts = new int[clauses];
        for (int t = 0; t < TRIALS; t++) {
            counts[((Selection.Received) Select.select(cs)).clause()]++;
        }
        return counts;
    }

    @Test
    void twoReadyClausesAfterTwoIdleOnesAreChosenAboutEquallyOften() throws Exception {
        // A random start plus a circular scan picks clause 2 whenever it starts at 0, 1 or 2: 3/4 of the time.
        int[] counts = choices(4, 2, 3);
        // Expected 5,000 each, standard deviation 50: 4,000 is 20 deviations away (a biased scan gives 7,500).
        assertThat(counts[2]).as("clause 2 of %s", java.util.Arrays.toString(counts)).isBetween(4_000, 6_000);
        assertThat(counts[3]).as("clause 3 of %s", java.util.Arrays.toString(counts)).isBetween(4_000, 6_000);
        assertThat(counts[0] + counts[1]).isZero();
    }

    @Test
    void threeReadyClausesAroundAnIdleOneAreChosenAboutEquallyOften() throws Exception {
        // Go's configuration: three ready channels and one idle one.
        int[] counts = choices(4, 0, 1, 3);
        // Expected 3,333 each, standard deviation about 47: the bounds are about 14 deviations wide.
        for (int c : new int[] {0, 1, 3}) {
            assertThat(counts[c]).as("clause %d of %s", c, java.util.Arrays.toString(counts))
                    .isBetween(2_666, 4_000);
        }
        assertThat(counts[2]).isZero();
    }

    @Test
    void aWaitingSelectOfTwoSendsOnOneChannelGivesBothAChance() throws Exception {
        // Go's TestPseudoRandomSend: select(send(c, 0), send(c, 1)) on a rendezvous channel that a slower
        // receiver drains. Here the receiver waits until both clauses are queued, so every round exercises
        // the waiting phase, where the queue order decides.
        Channel<Integer> c = Channel.rendezvous();
        List<SelectClause<?>> cs = List.of(SelectClause.send(c, 0), SelectClause.send(c, 1));
        int rounds = 400;
        int[] got = new int[2];
        try (Threads threads = new Threads()) {
            threads.start("selector", () -> {
                for (int i = 0; i < rounds; i++) {
                    Select.select(cs);
                }
            });
            for (int i = 0; i < rounds; i++) {
                Waiting.until(() -> c.queuedWaiters() == 2, "both send clauses queued");
                got[c.receiveOrNull()]++;
                // The other node is dead now; wait until the selector has unlinked it before the next round.
                Waiting.until(() -> c.queuedWaiters() != 1, "the losing clause unlinked");
            }
        }
        // Expected 200 each, standard deviation 10: 80 is 12 deviations away (the old engine sent 0 every time).
        assertThat(got[0]).as("value 0 of %s", java.util.Arrays.toString(got)).isGreaterThan(80);
        assertThat(got[1]).as("value 1 of %s", java.util.Arrays.toString(got)).isGreaterThan(80);
    }

    @Test
    void aWaitingSelectOfTwoReceivesOnOneChannelGivesBothAChance() throws Exception {
        Channel<Integer> c = Channel.rendezvous();
        List<SelectClause<?>> cs = List.of(SelectClause.receive(c), SelectClause.receive(c));
        int rounds = 400;
        int[] got = new int[2];
        try (Threads threads = new Threads()) {
            Threads.Outcome<int[]> sel = threads.call("selector", () -> {
                int[] clauses = new int[2];
                for (int i = 0; i < rounds; i++) {
                    clauses[((Selection.Received) Select.select(cs)).clause()]++;
                }
                return clauses;
            });
            for (int i = 0; i < rounds; i++) {
                Waiting.until(() -> c.queuedWaiters() == 2, "both receive clauses queued");
                c.send(i);
                Waiting.until(() -> c.queuedWaiters() != 1, "the losing clause unlinked");
            }
            int[] clauses = sel.get();
            got[0] = clauses[0];
            got[1] = clauses[1];
        }
        assertThat(got[0]).as("clause 0 of %s", java.util.Arrays.toString(got)).isGreaterThan(80);
        assertThat(got[1]).as("clause 1 of %s", java.util.Arrays.toString(got)).isGreaterThan(80);
    }

    @Test
    void aPrioritizedSelectTakesTheLowestReadyIndexAndQueuesInIndexOrder() throws Exception {
        List<Channel<Integer>> channels = new ArrayList<>();
        List<SelectClause<?>> cs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Channel<Integer> ch = Channel.unbounded();
            channels.add(ch);
            cs.add(SelectClause.receive(ch));
        }
        for (int t = 0; t < 100; t++) {
            channels.get(1).send(t);
            channels.get(3).send(t);
        }
        for (int t = 0; t < 100; t++) {
            assertThat(((Selection.Received) Select.selectPrioritized(cs)).clause()).isEqualTo(1);
        }
        assertThat(((Selection.Received) Select.selectOrDefault(cs, true)).clause()).isEqualTo(3);

        Channel<Integer> c = Channel.rendezvous();
        List<SelectClause<?>> sends = List.of(SelectClause.send(c, 0), SelectClause.send(c, 1));
        try (Threads threads = new Threads()) {
            threads.start("selector", () -> {
                for (int i = 0; i < 50; i++) {
                    Select.selectPrioritized(sends);
                }
            });
            for (int i = 0; i < 50; i++) {
                Waiting.until(() -> c.queuedWaiters() == 2, "both send clauses queued");
                assertThat(c.receiveOrNull()).isZero();
                Waiting.until(() -> c.queuedWaiters() != 1, "the losing clause unlinked");
            }
        }
    }
}
