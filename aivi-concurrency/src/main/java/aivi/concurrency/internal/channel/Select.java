package aivi.concurrency.internal.channel;

import aivi.concurrency.Clock;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

// Implementation overview.
//
// A select runs in two phases, as in Go's selectgo:
//  1. Immediate. Lock every distinct channel of the clauses in increasing Channel.id order (the global
//     lock order: plain operations hold one lock at a time, so no cycle can form), then try the clauses
//     one by one in the poll order (below). The first clause that can complete at once (a value or a
//     waiting sender to take, a waiting receiver or buffer room for a send, or a closed channel)
//     completes under the locks, and that is the outcome. Because every involved channel is locked, no
//     clause's readiness can change during the scan, and only one clause is acted on.
//  2. Waiting. If nothing is ready and there is no default, enqueue one WaitNode per clause, in the
//     poll order, all sharing one Waiter, still under all the locks (so no commit can slip in between the
//     scan and the registration), release the locks and wait. Any counterpart that dequeues one of the
//     nodes tries the waiter's commit CAS: the first one wins and decides the clause; the others fail the
//     CAS and treat their node as dead (a sender keeps its value, a receiver consumes nothing).
//     Channel.close() commits a node with "closed" the same way. Interrupt or timeout is the owner's CAS
//     to cancelled, with the usual rule: if a commit won first, the select reports it (and re-asserts the
//     interrupt status).
// Afterwards the selector unlinks its remaining nodes, one channel lock at a time.
//
// Exception safety (see Channel, "Exception safety"). Nothing is allocated and no user code runs under
// the locks: the clock is read before locking; the waiter and its nodes are allocated after a first
// pass found nothing ready, and the pass is then repeated (a clause may have become ready meanwhile), or,
// for a caller whose selectOrDefault just found nothing (selectAfterTry), before the first pass; an
// unbounded channel with a full buffer is grown outside the locks, then the pass is repeated. A throw
// anywhere in a pass releases every lock still held with plain volatile stores (no call until all are
// free). If the wait itself throws, the select is cancelled and its nodes unlinked before the throw
// propagates.
//
// Fairness. The poll order is a uniformly random permutation of the clauses (Fisher-Yates), drawn anew
// for every select. Among the clauses that are ready in the immediate phase, the one that comes first in
// a uniform permutation is each of them with equal probability (a random start followed by a circular
// scan is NOT uniform: it favours a ready clause that follows a run of idle ones). The nodes are enqueued
// in the same order, so when several clauses of one select wait on the same channel (two sends to one
// rendezvous channel, say), the counterpart that arrives finds a uniformly random one of them first.
// Across channels the first counterpart to arrive wins. A closed receive clause counts as ready (it
// reports Selection.Closed), as in Go. The priority variants use the identity order instead: the lowest
// ready index wins, and nodes are enqueued in index order.
//
// Timeout. Time is read and waited on only through the given Clock, never the system timer, so a
// virtual clock can drive it; a deadline that has passed before the select starts still lets the
// immediate phase run, then times out without waiting.

/**
 * Waits on several channel operations at once and commits exactly one of them.
 *
 * <p><b>Fairness.</b> Among the clauses that can complete at once, each is chosen with equal probability;
 * when several clauses of one select wait on the same channel, the counterpart that arrives meets each of
 * them first with equal probability; across channels the first counterpart to arrive wins. The
 * {@code prioritized} variants prefer the lowest index instead. A closed receive clause counts as ready
 * (it reports {@link Selection.Closed}), as in Go.
 *
 * <p><b>Timeout.</b> Time is read and waited on only through the given {@link Clock}.
 */
public final class Select {

    private Select() {
    }

    /**
     * Waits until one clause commits and returns it.
     *
     * <p>Blocks until some clause can complete. Interruption: throws {@link InterruptedException} and no
     * clause committed, unless one had already committed, which is then returned with the interrupt
     * status set.
     *
     * @param clauses the clauses, at least one
     * @return {@link Selection.Received}, {@link Selection.Sent} or {@link Selection.Closed}
     * @throws InterruptedException     if interrupted before any clause committed
     * @throws IllegalArgumentException if {@code clauses} is empty
     */
    public static Selection select(List<? extends SelectClause<?>> clauses) throws InterruptedException {
        return select(plan(clauses, false));
    }

    /**
     * Like {@link #select}, but among the clauses that can complete at once the one with the lowest index
     * wins, and waiting nodes are enqueued in index order.
     *
     * @param clauses the clauses, at least one
     * @return {@link Selection.Received}, {@link Selection.Sent} or {@link Selection.Closed}
     * @throws InterruptedException     if interrupted before any clause committed
     * @throws IllegalArgumentException if {@code clauses} is empty
     */
    public static Selection selectPrioritized(List<? extends SelectClause<?>> clauses) throws InterruptedException {
        return select(plan(clauses, true));
    }

    /**
     * Commits a clause that can complete at once, or returns {@link Selection.Default} without waiting.
     *
     * @param clauses the clauses (may be empty)
     * @return the committed clause's outcome, or {@link Selection.Default}
     */
    public static Selection selectOrDefault(List<? extends SelectClause<?>> clauses) {
        return selectOrDefault(plan(clauses, false));
    }

    /**
     * Waits until one clause commits, or until {@code timeoutNanos} have passed on {@code clock}.
     *
     * <p>Interruption: as {@link #select}. A timeout {@code <= 0} still takes a clause that is ready at
     * once.
     *
     * @param clauses      the clauses (may be empty: then this just waits for the timeout)
     * @param timeoutNanos the timeout in nanoseconds of {@code clock}
     * @param clock        the clock that measures and waits
     * @return the committed clause's outcome, or {@link Selection.TimedOut}
     * @throws InterruptedException if interrupted before any clause committed
     */
    public static Selection selectWithin(List<? extends SelectClause<?>> clauses, long timeoutNanos, Clock clock)
            throws InterruptedException {
        return selectWithin(clauses, timeoutNanos, clock, false);
    }

    /**
     * Like {@link #selectWithin(List, long, Clock)}; with {@code prioritized}, the lowest ready index wins
     * (see {@link #selectPrioritized}).
     *
     * @param clauses      the clauses (may be empty: then this just waits for the timeout)
     * @param timeoutNanos the timeout in nanoseconds of {@code clock}
     * @param clock        the clock that measures and waits
     * @param prioritized  whether earlier clauses are preferred
     * @return the committed clause's outcome, or {@link Selection.TimedOut}
     * @throws InterruptedException if interrupted before any clause committed
     */
    public static Selection selectWithin(List<? extends SelectClause<?>> clauses, long timeoutNanos, Clock clock,
            boolean prioritized) throws InterruptedException {
        Objects.requireNonNull(clock, "selectWithin: clock must not be null");
        return selectWithin(plan(clauses, prioritized), timeoutNanos, clock);
    }

    /**
     * Like {@link #selectOrDefault}; with {@code prioritized}, the lowest ready index wins.
     *
     * @param clauses     the clauses (may be empty)
     * @param prioritized whether earlier clauses are preferred
     * @return the committed clause's outcome, or {@link Selection.Default}
     */
    public static Selection selectOrDefault(List<? extends SelectClause<?>> clauses, boolean prioritized) {
        return selectOrDefault(plan(clauses, prioritized));
    }

    /**
     * A select's clauses, checked and put in lock order once, for a select that runs many times (the public
     * {@code select} effects build one when they are built). Immutable; any thread.
     */
    public static final class Plan {
        final SelectClause<?>[] clauses;
        /** The distinct channels of the clauses, sorted by id: the order in which they are locked. */
        final Channel<?>[] order;
        final boolean prioritized;

        private Plan(SelectClause<?>[] clauses, boolean prioritized) {
            this.clauses = clauses;
            this.order = lockOrder(clauses);
            this.prioritized = prioritized;
        }

        /**
         * A hint, read without any lock: whether every clause would most likely have to wait now (see
         * {@link Channel#sendLikelyWaits}). It may be stale either way; a caller uses it only to skip a
         * {@link #selectOrDefault(Plan)} that would find nothing and go to {@link #selectAfterTry(Plan)},
         * which decides exactly.
         *
         * @return true if a select over this plan would probably wait (false for a plan with no clause)
         */
        public boolean likelyWaits() {
            if (clauses.length == 0) {
                return false;
            }
            for (SelectClause<?> c : clauses) {
                if (c.value == null ? !c.channel.receiveLikelyWaits() : !c.channel.sendLikelyWaits()) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Prepares {@code clauses} for repeated selects: with {@code prioritized}, the lowest ready index wins
     * (see {@link #selectPrioritized}); otherwise the choice is uniformly random (see {@link #select}).
     *
     * @param clauses     the clauses (may be empty, for {@link #selectOrDefault(Plan)} and
     *                    {@link #selectWithin(Plan, long, Clock)})
     * @param prioritized whether earlier clauses are preferred
     * @return the plan
     * @throws NullPointerException if {@code clauses} or one of them is null
     */
    public static Plan plan(List<? extends SelectClause<?>> clauses, boolean prioritized) {
        return new Plan(toArray(clauses), prioritized);
    }

    /**
     * {@link #select} or {@link #selectPrioritized} (as the plan says) over a prepared plan.
     *
     * @param plan the clauses, at least one
     * @return {@link Selection.Received}, {@link Selection.Sent} or {@link Selection.Closed}
     * @throws InterruptedException     if interrupted before any clause committed
     * @throws IllegalArgumentException if the plan has no clause
     */
    public static Selection select(Plan plan) throws InterruptedException {
        return untimed(plan, false);
    }

    /**
     * {@link #select(Plan)} for a caller whose {@link #selectOrDefault(Plan)} over the same plan has just
     * found no clause ready: the select will most likely wait, so its waiter and nodes are allocated before
     * the first locked pass, which then registers them at once if still no clause is ready. That saves the
     * pass (every channel's lock taken and released) that {@link #select(Plan)} spends on finding out it
     * needs them. Same contract as {@link #select(Plan)}.
     *
     * @param plan the clauses, at least one
     * @return {@link Selection.Received}, {@link Selection.Sent} or {@link Selection.Closed}
     * @throws InterruptedException     if interrupted before any clause committed
     * @throws IllegalArgumentException if the plan has no clause
     */
    public static Selection selectAfterTry(Plan plan) throws InterruptedException {
        return untimed(plan, true);
    }

    /** The waiting, untimed select of both entry points above. */
    private static Selection untimed(Plan plan, boolean preallocate) throws InterruptedException {
        if (plan.clauses.length == 0) {
            throw new IllegalArgumentException("select: needs at least one clause, a default or a timeout, was empty");
        }
        return run(plan.clauses, plan.order, false, false, null, 0L, plan.prioritized, preallocate);
    }

    /**
     * {@link #selectOrDefault(List, boolean)} over a prepared plan: never waits.
     *
     * @param plan the clauses (may be none)
     * @return the committed clause's outcome, or {@link Selection.Default}
     */
    public static Selection selectOrDefault(Plan plan) {
        try {
            return run(plan.clauses, plan.order, true, false, null, 0L, plan.prioritized, false);
        } catch (InterruptedException impossible) {
            throw new AssertionError("a select with a default never waits", impossible);
        }
    }

    /**
     * {@link #selectWithin(List, long, Clock, boolean)} over a prepared plan.
     *
     * @param plan         the clauses (may be none: then this just waits for the timeout)
     * @param timeoutNanos the timeout in nanoseconds of {@code clock}
     * @param clock        the clock that measures and waits
     * @return the committed clause's outcome, or {@link Selection.TimedOut}
     * @throws InterruptedException if interrupted before any clause committed
     */
    public static Selection selectWithin(Plan plan, long timeoutNanos, Clock clock) throws InterruptedException {
        Objects.requireNonNull(clock, "selectWithin: clock must not be null");
        long now = clock.nanoTime();
        long deadline = timeoutNanos <= 0 ? now : saturatedAdd(now, timeoutNanos);
        return run(plan.clauses, plan.order, false, true, clock, deadline, plan.prioritized, false);
    }

    /** The one shared {@link Selection.Default}: it carries nothing. */
    private static final Selection DEFAULT_SELECTION = new Selection.Default();

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static SelectClause<?>[] toArray(List<? extends SelectClause<?>> clauses) {
        Objects.requireNonNull(clauses, "select: clauses must not be null");
        SelectClause<?>[] a = clauses.toArray(new SelectClause<?>[0]);
        for (int i = 0; i < a.length; i++) {
            Objects.requireNonNull(a[i], "select: clause " + i + " is null");
        }
        return a;
    }

    // Outcomes of one locked pass of run().
    private static final int NONE = 0;
    private static final int RECEIVED = 1;
    private static final int SENT = 2;
    private static final int CLOSED = 3;
    private static final int DEFAULT = 4;
    private static final int TIMED_OUT = 5;
    private static final int INTERRUPTED = 6;
    private static final int NEEDS_NODES = 7;
    private static final int NEEDS_ROOM = 8;
    private static final int ENQUEUED = 9;

    private static Selection run(SelectClause<?>[] cs, Channel<?>[] order, boolean withDefault, boolean timed,
            Clock clock, long deadline, boolean prioritized, boolean preallocate) throws InterruptedException {
        int n = cs.length;
        int[] poll = pollOrder(n, prioritized);
        // The user's clock is read before any lock is taken: no user code runs under a channel lock.
        boolean expired = timed && clock.nanoTime() - deadline >= 0;
        // The waiter and nodes: allocated outside the locks, up front for a caller whose try just failed
        // (selectAfterTry), else after a first pass found nothing ready.
        Waiter w = preallocate ? new Waiter(Thread.currentThread()) : null;
        WaitNode[] nodes = preallocate ? nodes(cs, w) : null;
        int spins = SpinPolicy.MAX_SPINS;
        for (;;) {
            int outcome = NONE;
            int clause = -1;
            Object received = null;
            Channel<?> full = null;
            int seen = 0;
            Thread t = null;
            int held = 0; // order[0 .. held-1] are locked by us
            try {
                for (Channel<?> ch : order) {
                    ch.lock();
                    held++;
                }
                for (int k = 0; k < n && outcome == NONE; k++) {
                    int i = poll[k];
                    SelectClause<?> c = cs[i];
                    Channel<?> ch = c.channel;
                    if (c.value == null) {
                        Object v = ch.pollLocked();
                        if (v != null) {
                            outcome = RECEIVED;
                            received = v;
                        } else if (ch.closedLocked()) {
                            outcome = CLOSED;
                        }
                    } else if (ch.closedLocked()) {
                        outcome = CLOSED;
                    } else {
                        int o = ch.offerLocked(c.value);
                        if (o == Channel.OFFERED) {
                            outcome = SENT;
                        } else if (o == Channel.GROW) {
                            outcome = NEEDS_ROOM;
                            full = ch;
                            seen = ch.bufferLengthLocked();
                        }
                    }
                    if (outcome != NONE) {
                        clause = i;
                        t = ch.takeUnparkLocked();
                    }
                }
                if (outcome == NONE) {
                    if (withDefault) {
                        outcome = DEFAULT;
                    } else if (expired) {
                        outcome = TIMED_OUT;
                    } else if (w == null) {
                        outcome = NEEDS_NODES;
                    } else if (Thread.interrupted()) {
                        outcome = INTERRUPTED;
                    } else {
                        // Still under all the locks: no commit can slip in between scan and registration.
                        for (int k = 0; k < n; k++) {
                            int i = poll[k];
                            cs[i].channel.enqueueLocked(nodes[i]);
                            spins = Math.min(spins, cs[i].channel.spins());
                        }
                        outcome = ENQUEUED;
                    }
                }
                while (held > 0) {
                    order[held - 1].unlock();
                    held--; // after the release: if unlock() threw, it had not released
                }
            } finally {
                // Fault path: release what we still hold with plain volatile stores and no call until
                // all are free (see Channel, "Exception safety"); a committed waiter is still woken.
                for (int j = held - 1; j >= 0; j--) {
                    Channel<?> ch = order[j];
                    if (t == null) {
                        t = ch.toUnpark;
                    }
                    ch.toUnpark = null;
                    ch.lock = 0;
                }
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
            switch (outcome) {
                case RECEIVED:
                    return new Selection.Received(clause, received);
                case SENT:
                    return new Selection.Sent(clause);
                case CLOSED:
                    return new Selection.Closed(clause);
                case DEFAULT:
                    return DEFAULT_SELECTION;
                case TIMED_OUT:
                    return new Selection.TimedOut();
                case INTERRUPTED:
                    throw new InterruptedException("select interrupted before any clause committed");
                case NEEDS_ROOM:
                    full.growFrom(seen);
                    break;
                case NEEDS_NODES:
                    // Allocated outside the locks; the next pass scans again before registering them.
                    w = new Waiter(Thread.currentThread());
                    nodes = nodes(cs, w);
                    break;
                default:
                    return awaitEnqueued(cs, w, nodes, spins, order, timed, clock, deadline);
            }
        }
    }

    /** One wait node per clause, all sharing {@code w}. */
    private static WaitNode[] nodes(SelectClause<?>[] cs, Waiter w) {
        WaitNode[] nodes = new WaitNode[cs.length];
        for (int i = 0; i < cs.length; i++) {
            SelectClause<?> c = cs[i];
            nodes[i] = new WaitNode(w, i, c.value != null, c.value);
        }
        return nodes;
    }

    /** The waiting phase of {@link #run}, entered without locks once every node is enqueued. */
    private static Selection awaitEnqueued(SelectClause<?>[] cs, Waiter w, WaitNode[] nodes, int spins,
            Channel<?>[] order, boolean timed, Clock clock, long deadline) throws InterruptedException {
        int s;
        try {
            s = timed ? w.awaitUntil(spins, w, clock, deadline) : w.await(spins, w);
        } catch (Throwable e) {
            // The wait died (the user's clock threw, or an Error): give the select up while still pending,
            // so that no counterpart commits a clause for a thread that has left.
            w.tryCancel();
            for (int i = 0; i < nodes.length; i++) {
                cs[i].channel.unlink(nodes[i]);
            }
            throw e;
        }
        for (Channel<?> ch : order) {
            ch.spun(w);
        }
        // Unlink every node still queued; unlink skips a node that its committer already dequeued.
        for (int i = 0; i < nodes.length; i++) {
            cs[i].channel.unlink(nodes[i]);
        }
        if (s == Waiter.CANCELLED) {
            if (!timed || Thread.interrupted()) {
                throw new InterruptedException("select interrupted before any clause committed");
            }
            return new Selection.TimedOut();
        }
        int c = Waiter.clauseOf(s);
        if (Waiter.isClosed(s)) {
            return new Selection.Closed(c);
        }
        return nodes[c].sending ? new Selection.Sent(c) : new Selection.Received(c, nodes[c].item);
    }

    /** The clause indices in the order they are tried and enqueued: uniformly random, or 0..n-1. */
    private static int[] pollOrder(int n, boolean prioritized) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        if (!prioritized && n > 1) {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates: every permutation equally likely
                int j = rnd.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
        }
        return p;
    }

    /** The distinct channels of the clauses, sorted by id: the order in which they are locked. */
    private static Channel<?>[] lockOrder(SelectClause<?>[] cs) {
        Channel<?>[] a = new Channel<?>[cs.length];
        for (int i = 0; i < cs.length; i++) {
            a[i] = cs[i].channel;
        }
        if (a.length > 1) {
            Arrays.sort(a, (x, y) -> Long.compare(x.id, y.id));
            int m = 1;
            for (int i = 1; i < a.length; i++) {
                if (a[i] != a[m - 1]) {
                    a[m++] = a[i];
                }
            }
            a = Arrays.copyOf(a, m);
        }
        return a;
    }
}
