package aivi.concurrency.internal.channel;

/**
 * How long a channel waiter spins before it parks. Channels that buffer more than one value never spin
 * ({@link #NEVER}): parking lets the other side run a whole batch against the buffer, which measured faster
 * than lock-step hand-offs (spinning at 16, 128 and unbounded too was measured and not kept). A rendezvous
 * channel and a buffer of one, where every value is a hand-off, use an {@linkplain #adaptive() adaptive} budget.
 */
// The adaptive budget doubles (plus MIN_SPINS) when a wait was completed while still spinning and halves when the
// waiter had to park, within [MIN_SPINS, MAX_SPINS]. A busy spin pays only when the counterpart runs on another
// core right now. Two virtual threads on one carrier cannot meet that way: the counterpart cannot run until the
// spinner leaves the carrier, and after one park and unpark the two usually do share a carrier (the JDK queues an
// unparked virtual thread on the unparker's own carrier). So a virtual thread's spin yields the carrier every few
// turns (Waiter.await): a counterpart queued behind it runs at once and commits the waiter, which then needs no
// unpark. Measured through the public API, that took a 1->1 rendezvous hand-off from 464-472 to 325-331 ns, and
// 4->4 from 451-460 to 316-336 ns. On a loaded machine a spin steals the counterpart's CPU, so there the budget
// decays to MIN_SPINS, which keeps probing so it can grow back when the machine quietens. The JDK's
// LinkedTransferQueue decides per wait instead, with ForkJoinWorkerThread.hasKnownQueuedWork(), which is not public
// API. On one CPU nothing spins. The budget is a racy plain int: a lost update only perturbs a heuristic, and the
// store is skipped at the bounds because both sides of the channel share its cache line.
final class SpinPolicy {
    private static final int NCPU = Runtime.getRuntime().availableProcessors();
    /** The most a hand-off wait spins before parking; 0 on one CPU, where spinning only delays. */
    static final int MAX_SPINS = NCPU > 1 ? 128 : 0;
    /** The least: keeps probing, so that the budget can grow back when the machine quietens. */
    static final int MIN_SPINS = NCPU > 1 ? 4 : 0;

    /** The policy of buffers larger than one and of unbounded channels: park at once. */
    static final SpinPolicy NEVER = new SpinPolicy(false);

    private final boolean adapts;
    private int budget;

    private SpinPolicy(boolean adapts) {
        this.adapts = adapts;
        this.budget = adapts ? MAX_SPINS : 0;
    }

    /** A fresh adaptive budget (one per channel of capacity 0 or 1), starting at {@link #MAX_SPINS}. */
    static SpinPolicy adaptive() {
        return new SpinPolicy(true);
    }

    /** How many times the next waiter spins before parking. */
    int budget() {
        return budget;
    }

    /** Feeds back the outcome of a wait: whether the waiter had to park. */
    void record(boolean parked) {
        if (adapts) {
            int b = budget;
            int nb = parked ? Math.max(MIN_SPINS, b >> 1) : Math.min(MAX_SPINS, (b << 1) + MIN_SPINS);
            if (nb != b) {
                budget = nb;
            }
        }
    }
}
