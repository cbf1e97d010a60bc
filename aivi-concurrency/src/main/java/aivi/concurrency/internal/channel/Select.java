package aivi.concurrency.internal.channel;

import aivi.concurrency.Clock;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits on several channel operations at once and commits exactly one of them.
 *
 * <h2>Implementation overview</h2>
 *
 * <p>A select runs in two phases, as in Go's {@code selectgo}:
 * <ol>
 *   <li><b>Immediate.</b> Lock every distinct channel of the clauses in increasing {@link Channel#id}
 *       order (the global lock order: plain operations hold one lock at a time, so no cycle can form),
 *       then try the clauses one by one, starting at a uniformly random index and wrapping around. The
 *       first clause that can complete at once (a value or a waiting sender to take, a waiting receiver
 *       or buffer room for a send, or a closed channel) completes under the locks, and that is the
 *       outcome. Because every involved channel is locked, no clause's readiness can change during the
 *       scan, and only one clause is acted on.</li>
 *   <li><b>Waiting.</b> If nothing is ready and there is no default, enqueue one {@link WaitNode} per
 *       clause, all sharing one {@link Waiter}, still under all the locks (so no commit can slip in
 *       between the scan and the registration), release the locks and wait. Any counterpart that
 *       dequeues one of the nodes tries the waiter's commit CAS: the first one wins and decides the
 *       clause; the others fail the CAS and treat their node as dead (a sender keeps its value, a
 *       receiver consumes nothing). {@link Channel#close()} commits a node with "closed" the same way.
 *       Interrupt or timeout is the owner's CAS to cancelled, with the usual rule: if a commit won
 *       first, the select reports it (and re-asserts the interrupt status).</li>
 * </ol>
 * Afterwards the selector unlinks its remaining nodes, one channel lock at a time.
 *
 * <p><b>Fairness.</b> The immediate phase starts at a random clause, so among clauses that are ready at
 * the same time each is chosen with equal probability. In the waiting phase the first counterpart to
 * arrive wins. A closed receive clause counts as ready (it reports {@link Selection.Closed}), as in Go.
 *
 * <p><b>Timeout.</b> Time is read and waited on only through the given {@link Clock}, never the system
 * timer, so a virtual clock can drive it; a deadline that has passed before the select starts still
 * lets the immediate phase run, then times out without waiting.
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
        return run(toArray(clauses, false), false, false, null, 0L);
    }

    /**
     * Commits a clause that can complete at once, or returns {@link Selection.Default} without waiting.
     *
     * @param clauses the clauses (may be empty)
     * @return the committed clause's outcome, or {@link Selection.Default}
     */
    public static Selection selectOrDefault(List<? extends SelectClause<?>> clauses) {
        try {
            return run(toArray(clauses, true), true, false, null, 0L);
        } catch (InterruptedException impossible) {
            throw new AssertionError("a select with a default never waits", impossible);
        }
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
        Objects.requireNonNull(clock, "selectWithin: clock must not be null");
        long now = clock.nanoTime();
        long deadline = timeoutNanos <= 0 ? now : saturatedAdd(now, timeoutNanos);
        return run(toArray(clauses, true), false, true, clock, deadline);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static SelectClause<?>[] toArray(List<? extends SelectClause<?>> clauses, boolean emptyOk) {
        Objects.requireNonNull(clauses, "select: clauses must not be null");
        SelectClause<?>[] a = clauses.toArray(new SelectClause<?>[0]);
        for (int i = 0; i < a.length; i++) {
            Objects.requireNonNull(a[i], "select: clause " + i + " is null");
        }
        if (a.length == 0 && !emptyOk) {
            throw new IllegalArgumentException("select: needs at least one clause, a default or a timeout, was empty");
        }
        return a;
    }

    private static Selection run(SelectClause<?>[] cs, boolean withDefault, boolean timed, Clock clock,
            long deadline) throws InterruptedException {
        int n = cs.length;
        Channel<?>[] order = lockOrder(cs);
        lockAll(order);
        int start = n <= 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
        for (int k = 0; k < n; k++) {
            int i = start + k;
            if (i >= n) {
                i -= n;
            }
            Selection r = tryLocked(cs[i], i);
            if (r != null) {
                Thread t = cs[i].channel.takeUnparkLocked();
                unlockAll(order);
                if (t != null) {
                    LockSupport.unpark(t);
                }
                return r;
            }
        }
        if (withDefault) {
            unlockAll(order);
            return new Selection.Default();
        }
        if (timed && clock.nanoTime() - deadline >= 0) {
            unlockAll(order);
            return new Selection.TimedOut();
        }
        if (Thread.interrupted()) {
            unlockAll(order);
            throw new InterruptedException("select interrupted before any clause committed");
        }
        Waiter w = new Waiter(Thread.currentThread());
        WaitNode[] nodes = new WaitNode[n];
        int spins = Channel.MAX_SPINS;
        for (int i = 0; i < n; i++) {
            SelectClause<?> c = cs[i];
            nodes[i] = new WaitNode(w, i, c.value != null, c.value);
            c.channel.enqueueLocked(nodes[i]);
            spins = Math.min(spins, c.channel.spins());
        }
        unlockAll(order);

        int s = timed ? w.awaitUntil(spins, w, clock, deadline) : w.await(spins, w);
        for (Channel<?> ch : order) {
            ch.spun(w);
        }

        // Unlink every node still queued (the committed one, if any, was dequeued by its committer).
        for (Channel<?> ch : order) {
            ch.lock();
            for (WaitNode node : nodes) {
                if (node.linked && cs[node.clause].channel == ch) {
                    ch.removeLocked(node);
                }
            }
            ch.unlock();
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

    /** Under the clause channel's lock: completes the clause if it can complete at once. */
    private static Selection tryLocked(SelectClause<?> c, int i) {
        Channel<?> ch = c.channel;
        if (c.value == null) {
            Object v = ch.pollLocked();
            if (v != null) {
                return new Selection.Received(i, v);
            }
            return ch.closedLocked() ? new Selection.Closed(i) : null;
        }
        if (ch.closedLocked()) {
            return new Selection.Closed(i);
        }
        return ch.offerLocked(c.value) ? new Selection.Sent(i) : null;
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

    private static void lockAll(Channel<?>[] order) {
        for (Channel<?> ch : order) {
            ch.lock();
        }
    }

    private static void unlockAll(Channel<?>[] order) {
        for (int i = order.length - 1; i >= 0; i--) {
            order[i].unlock();
        }
    }
}
