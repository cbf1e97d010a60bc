package aivi.concurrency.internal.channel;

import aivi.concurrency.ChannelClosedException;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A multi-producer, multi-consumer FIFO channel for (virtual) threads: rendezvous (capacity 0),
 * buffered (capacity {@code n > 0}) or unbounded. This is the engine; the public {@code Sender} and
 * {@code Receiver} wrap it.
 *
 * @param <A> the type of values
 */
public final class Channel<A> extends RingBuffer {
    // Implementation overview (not public documentation).
    //
    // Algorithm. The design is Go's hchan adapted to the JVM: a short critical section under a per-channel lock
    // decides every transfer, and blocking happens outside it. The lock guards
    // - a ring buffer of values holding at most bound values: 0 (rendezvous), n, or Integer.MAX_VALUE
    //   (unbounded; the array grows by doubling and is given back after a burst). It is the base class,
    //   RingBuffer, so its fields sit in this object beside the lock word;
    // - two intrusive FIFO queues of WaitNodes: blocked senders (each node carries its value) and blocked
    //   receivers;
    // - the closed flag (written under the lock, volatile for lock-free queries).
    //
    // An operation takes the lock, completes at once if it can (hand a value to a waiting receiver, take one from
    // the buffer, take one from a waiting sender, use free buffer space), and otherwise enqueues a node and
    // releases the lock before waiting. We chose this over the segment-based algorithm of Koval, Alistarh and
    // Elizarov (used by jox and Kotlin) because every decision is taken by one lock holder plus one CAS on the
    // waiter, which makes close, cancellation and select easy to prove, and on the 2-core machines we target the
    // critical sections are a few dozen instructions: the lock is uncontended or briefly spun on. See
    // docs/adr/0002-channels.md for the measurements.
    //
    // The lock is a test-and-test-and-set spin lock on lock that falls back to Thread.yield(): nothing inside it
    // blocks, parks or allocates, so the holder is never unmounted while holding it (virtual threads are not
    // preempted). Acquisition is a CAS (acquire); release is a release store. Fields guarded by it are plain. See
    // "Exception safety" below for why a throw inside a critical section cannot leave it held.
    //
    // Waiting. A blocked party parks on its Waiter, whose state moves exactly once from pending to final by CAS:
    // committed by a counterpart (or by close()), or cancelled by the owner (interrupt, timeout). On a rendezvous
    // channel, and on a buffer of one, the owner first spins for an adaptive budget (see SpinPolicy), so that in a
    // tight hand-off the counterpart usually commits while the owner is still running and no unpark is needed;
    // larger buffers park at once, so the other side can run a whole batch against the buffer instead of trading
    // every value in lock-step. A buffer of one has no batch to run: every value is a hand-off, as on a rendezvous
    // channel (measured: docs/benchmarks.md, "A buffer of one spins before parking").
    //
    // Invariants (under the lock; "live" = a node whose waiter is still pending):
    //
    // - (1) 0 <= count <= bound; the buffer holds values in send order.
    // - (2) A live receiver is queued only while count == 0: a send first hands its value to the oldest live
    //   receiver, and a receiver only waits when the buffer is empty.
    // - (3) A live sender is queued only while count == bound: when a receive frees a slot it moves the oldest
    //   live sender's value into the buffer (committing that sender) under the same lock.
    // - (4) Once closed is set no node is enqueued again, and both queues were emptied by the close that set it.
    // - (5) Dead nodes (cancelled waiters, or select waiters already committed elsewhere) may linger in a queue
    //   until their owner unlinks them; everybody who dequeues one skips it, because its commit CAS fails.
    //
    // From (2) and (3), FIFO order holds: values leave in the order their sends committed, where a waiting
    // sender's commit is the moment its value enters the buffer (or is handed to a receiver).
    //
    // Races and how they resolve.
    // - Counterpart vs. owner's cancellation (interrupt or timeout): both CAS the waiter's state; exactly one
    //   wins. If the counterpart wins the transfer happened: the owner returns normally (the received value, or
    //   "sent") and re-asserts its interrupt status. If the owner wins the transfer never happened: the
    //   counterpart keeps its value (a sender tries the next receiver or buffers it), and the owner throws
    //   InterruptedException; its value was never visible to anyone because a waiting sender's value moves only by
    //   a successful commit.
    // - Close vs. transfer: close takes the lock, sets closed, detaches both queues, releases the lock and then
    //   commits every detached waiter with "closed". A waiter that a transfer committed before (under the lock)
    //   was already dequeued, so it is not in the detached queues; a waiter that cancels concurrently wins or
    //   loses the CAS as above. Buffered values stay: receivers drain them and only then see "closed".
    // - Select (see Select): a selector enqueues one node per clause, all sharing one waiter, so the first
    //   counterpart to win the CAS commits exactly one clause; the other nodes turn dead and are unlinked by the
    //   selector.
    //
    // Memory consistency. Everything a sender did before send happens-before everything the receiver of that value
    // does after its receive returns: either both pass through the lock, or the value is published by the waiter's
    // commit CAS and read after the owner's volatile read of the state.
    //
    // Exception safety. A StackOverflowError can strike at any method entry, an OutOfMemoryError at any
    // allocation; a lock left held by such a throw would make every later operation spin forever. The JDK's own
    // locks rely on @ReservedStackAccess, which is not available outside java.base, so we get the guarantee by
    // construction instead:
    //
    // - (1) Nothing is allocated under the lock. A wait node is allocated after a first locked attempt found that
    //   the operation must wait, and the attempt is then repeated (or, in the *AfterTry variants, whose caller's
    //   try just failed, before the first attempt, which saves that round trip); a full unbounded buffer is grown by
    //   growFrom(int), which allocates the new array with the lock released and installs it under the lock. Result
    //   objects (Selections, strings) are built after unlocking.
    // - (2) Every critical section is a try whose fault path releases the lock with a plain volatile store to
    //   lock, a field write that involves no method call and so cannot itself overflow the stack. The normal path
    //   releases with unlock() as the last statement of the try; the only thing that can throw there is the entry
    //   of the release (before the store), so a local held flag tells the fault path whether it still owns the
    //   lock. The thread a step committed (toUnpark) is woken on both paths.
    // - (3) Every locked helper is atomic with respect to a throw: it changes nothing before its last call, or
    //   only field writes follow it. A waiter is committed before its node is unlinked, so a throw in between
    //   leaves a dead node in the queue (allowed by invariant 5), never a live waiter that no queue holds. The one
    //   call between a waiting sender's commit and its value entering the buffer is gone: that store is written
    //   inline.
    //
    // What a throw does not guarantee is the outcome of the operation it interrupted: a trySend that dies of a
    // StackOverflowError may or may not have delivered its value, exactly as for any JDK collection call that ends
    // in an Error. A waiter committed by such a step is still woken; if even that wake-up overflows, a platform-
    // thread waiter stays committed and its interrupt still returns it. An overflow inside LockSupport.unpark of a
    // virtual thread can strike after the JDK changed that thread's state and before it handed it to the
    // scheduler; nothing can run that thread again, and no library code can repair that.
    //
    // Null values are rejected; null is therefore free to mean "closed" or "nothing" in the internal API
    // (receiveOrNull(), tryReceive()).


    /** The capacity value that asks for an unbounded channel in {@link #create(int)}. */
    public static final int UNBOUNDED = -1;

    /** {@link #trySend} outcome. */
    public enum Offer {
        /** The value was handed to a receiver or buffered. */
        DELIVERED,
        /** No receiver was waiting and the buffer was full; nothing happened. */
        FULL,
        /** The channel is closed; nothing happened. */
        CLOSED
    }

    // Outcomes of one locked attempt of a waiting operation (sendOrClosed, receiveOrNull).
    private static final int DONE = 0;
    private static final int CLOSED = 1;
    private static final int NEEDS_NODE = 2;
    private static final int INTERRUPTED = 3;
    private static final int ENQUEUED = 4;
    private static final int NEEDS_ROOM = 5;

    private static final AtomicLong IDS = new AtomicLong();

    /** The capacity as requested: 0, n, or {@link #UNBOUNDED}. */
    private final int capacity;
    /** How long a waiter spins before parking: adaptive at capacity 0 and 1, never on larger buffers. */
    private final SpinPolicy spin;
    /** Unique, increasing: the global lock order for {@link Select}. */
    final long id = IDS.incrementAndGet();

    /** Written only under the lock; volatile so {@link #isClosedForSend()} needs no lock. */
    private volatile boolean closed;

    // Guarded by the lock (as is the buffer, see RingBuffer).
    /** Blocked senders (each node carries its value) and blocked receivers, oldest first. */
    private final WaitQueue senders = new WaitQueue();
    private final WaitQueue receivers = new WaitQueue();
    /** The owner of the waiter the last locked step committed, to unpark after unlocking. */
    Thread toUnpark;

    private Channel(int capacity) {
        super(capacity == UNBOUNDED ? Integer.MAX_VALUE : capacity);
        this.capacity = capacity;
        this.spin = capacity == 0 || capacity == 1 ? SpinPolicy.adaptive() : SpinPolicy.NEVER;
    }

    /**
     * Creates a channel: {@code 0} is rendezvous, {@code n > 0} buffers {@code n} values, and
     * {@link #UNBOUNDED} never blocks senders.
     *
     * @param capacity 0, a positive buffer size, or {@link #UNBOUNDED}
     * @param <A>      the type of values
     * @return a new open channel
     * @throws IllegalArgumentException if {@code capacity < 0} and not {@link #UNBOUNDED}
     */
    public static <A> Channel<A> create(int capacity) {
        if (capacity < 0 && capacity != UNBOUNDED) {
            throw new IllegalArgumentException("capacity must be >= 0 (or UNBOUNDED), was " + capacity);
        }
        return new Channel<>(capacity);
    }

    /**
     * Creates a rendezvous channel: each {@code send} waits for a receiver.
     *
     * @param <A> the type of values
     * @return a new open channel
     */
    public static <A> Channel<A> rendezvous() {
        return new Channel<>(0);
    }

    /**
     * Creates a channel that buffers up to {@code capacity} values.
     *
     * @param capacity the buffer size, {@code >= 1}
     * @param <A>      the type of values
     * @return a new open channel
     * @throws IllegalArgumentException if {@code capacity < 1}
     */
    public static <A> Channel<A> buffered(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("buffered: capacity must be >= 1, was " + capacity);
        }
        return new Channel<>(capacity);
    }

    /**
     * Creates an unbounded channel: {@code send} never blocks.
     *
     * @param <A> the type of values
     * @return a new open channel
     */
    public static <A> Channel<A> unbounded() {
        return new Channel<>(UNBOUNDED);
    }

    /**
     * The capacity this channel was created with.
     *
     * @return 0 (rendezvous), the buffer size, or {@link #UNBOUNDED}
     */
    public int capacity() {
        return capacity;
    }

    // ------------------------------------------------------------------------------------------ send

    /**
     * Sends {@code value}, waiting while no receiver is ready and the buffer is full.
     *
     * <p>Blocks: on a rendezvous channel until a receiver takes the value; on a buffered channel while
     * the buffer is full; never on an unbounded one. Interruption: if the thread is interrupted while
     * waiting (or on entry, when the send cannot complete at once), throws {@link InterruptedException}
     * and the value was not delivered; if the value was already delivered when the interrupt arrived,
     * returns normally with the interrupt status set.
     *
     * @param value the value, not null
     * @throws ChannelClosedException if the channel is closed, or closes while this send waits; the
     *                                value was not delivered
     * @throws InterruptedException   if interrupted before the value was delivered
     * @throws NullPointerException   if {@code value} is null
     */
    public void send(A value) throws InterruptedException {
        if (!sendOrClosed(value)) {
            throw new ChannelClosedException(SEND_CLOSED);
        }
    }

    /**
     * {@link #send} for a caller whose {@link #trySend} of {@code value} has just returned {@link Offer#FULL}
     * (see {@link #sendOrClosedAfterTry}). Same contract as {@link #send}. With {@code spin == false} a wait
     * parks at once.
     *
     * @param value the value, not null
     * @param spin  whether the wait may spin before parking
     * @throws ChannelClosedException if the channel is closed, or closes while this send waits; the
     *                                value was not delivered
     * @throws InterruptedException   if interrupted before the value was delivered
     * @throws NullPointerException   if {@code value} is null
     */
    public void sendAfterTry(A value, boolean spin) throws InterruptedException {
        if (!sendOrClosedAfterTry(value, spin)) {
            throw new ChannelClosedException(SEND_CLOSED);
        }
    }

    private static final String SEND_CLOSED = "send: the channel was closed; the value was not delivered";

    /**
     * Like {@link #send}, but reports a closed channel by returning {@code false} instead of throwing.
     *
     * @param value the value, not null
     * @return true if the value was delivered (to a receiver or the buffer); false if the channel was
     *     closed, in which case it was not delivered
     * @throws InterruptedException if interrupted before the value was delivered
     * @throws NullPointerException if {@code value} is null
     */
    public boolean sendOrClosed(A value) throws InterruptedException {
        Objects.requireNonNull(value, "send: value must not be null");
        return sendOrClosed(value, null);
    }

    /**
     * {@link #sendOrClosed} for a caller whose {@link #trySend} of {@code value} has just returned
     * {@link Offer#FULL}: the send will most likely wait, so its wait node is allocated before the first
     * locked attempt, which then enqueues it at once if the send still cannot complete. That saves the
     * locked round trip that {@link #sendOrClosed} spends on finding out that it needs a node. Same
     * contract as {@link #sendOrClosed}.
     *
     * With {@code spin == false} a wait parks at once.
     *
     * @param value the value, not null
     * @param spin  whether the wait may spin before parking
     * @return true if the value was delivered; false if the channel was closed (not delivered)
     * @throws InterruptedException if interrupted before the value was delivered
     * @throws NullPointerException if {@code value} is null
     */
    public boolean sendOrClosedAfterTry(A value, boolean spin) throws InterruptedException {
        Objects.requireNonNull(value, "send: value must not be null");
        WaitNode node = new WaitNode(Thread.currentThread(), true, value); // outside the lock
        node.spin = spin;
        return sendOrClosed(value, node);
    }

    /** The body of both sends: {@code node} is null, or a fresh node of this thread carrying {@code value}. */
    private boolean sendOrClosed(A value, WaitNode node) throws InterruptedException {
        for (;;) {
            int r;
            int seen = 0;
            Thread t = null;
            boolean held = true;
            lock();
            try {
                if (closed) {
                    r = CLOSED;
                } else {
                    int o = offerLocked(value);
                    if (o == OFFERED) {
                        r = DONE;
                    } else if (o == GROW) {
                        r = NEEDS_ROOM;
                        seen = items.length;
                    } else if (node == null) {
                        r = NEEDS_NODE;
                    } else if (Thread.interrupted()) {
                        r = INTERRUPTED;
                    } else {
                        enqueueLocked(node);
                        r = ENQUEUED;
                    }
                }
                t = toUnpark;
                toUnpark = null;
                unlock();
                held = false;
            } finally {
                if (held) {
                    // Fault path: no call until the lock is free (see "Exception safety").
                    if (t == null) {
                        t = toUnpark;
                    }
                    toUnpark = null;
                    lock = 0;
                }
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
            switch (r) {
                case DONE:
                    return true;
                case CLOSED:
                    return false;
                case NEEDS_ROOM:
                    growFrom(seen);
                    break;
                case NEEDS_NODE:
                    node = new WaitNode(Thread.currentThread(), true, value); // outside the lock
                    break;
                case INTERRUPTED:
                    throw new InterruptedException("send interrupted before the value was delivered");
                default:
                    return !Waiter.isClosed(await(node, "send interrupted before the value was delivered"));
            }
        }
    }

    /**
     * Sends {@code value} if that is possible without waiting: a receiver is waiting or the buffer has
     * room. Never blocks (beyond a short critical section); usable from any thread.
     *
     * @param value the value, not null
     * @return {@link Offer#DELIVERED}, {@link Offer#FULL} or {@link Offer#CLOSED}
     * @throws NullPointerException if {@code value} is null
     */
    public Offer trySend(A value) {
        Objects.requireNonNull(value, "trySend: value must not be null");
        for (;;) {
            int o;
            int seen = 0;
            Thread t = null;
            boolean held = true;
            lock();
            try {
                o = closed ? -1 : offerLocked(value);
                if (o == GROW) {
                    seen = items.length;
                }
                t = toUnpark;
                toUnpark = null;
                unlock();
                held = false;
            } finally {
                if (held) {
                    // Fault path: no call until the lock is free (see "Exception safety").
                    if (t == null) {
                        t = toUnpark;
                    }
                    toUnpark = null;
                    lock = 0;
                }
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
            if (o == GROW) {
                growFrom(seen);
                continue;
            }
            return o == OFFERED ? Offer.DELIVERED : o == FULL ? Offer.FULL : Offer.CLOSED;
        }
    }

    // --------------------------------------------------------------------------------------- receive

    /**
     * Receives the next value, waiting while there is none.
     *
     * <p>Blocks until a value is available or the channel is closed. After {@link #close()}, values sent
     * before are still returned; once they are drained, returns {@code null} at once, every time.
     * Interruption: if interrupted while waiting (or on entry, when no value is available at once),
     * throws {@link InterruptedException} and nothing was consumed; if a value had already been handed
     * to this receiver when the interrupt arrived, returns it with the interrupt status set.
     *
     * @return the value, or {@code null} if the channel is closed and drained
     * @throws InterruptedException if interrupted before a value was consumed
     */
    public A receiveOrNull() throws InterruptedException {
        return receiveOrNull(null);
    }

    /**
     * {@link #receiveOrNull} for a caller whose {@link #tryReceive} has just returned {@code null}: the
     * receive will most likely wait, so its wait node is allocated before the first locked attempt, which
     * then enqueues it at once if there is still nothing to take (see {@link #sendOrClosedAfterTry}). Same
     * contract as {@link #receiveOrNull}. With {@code spin == false} a wait parks at once.
     *
     * @param spin whether the wait may spin before parking
     * @return the value, or {@code null} if the channel is closed and drained
     * @throws InterruptedException if interrupted before a value was consumed
     */
    public A receiveOrNullAfterTry(boolean spin) throws InterruptedException {
        WaitNode node = new WaitNode(Thread.currentThread(), false, null); // outside the lock
        node.spin = spin;
        return receiveOrNull(node);
    }

    /** The body of both receives: {@code node} is null, or a fresh receiving node of this thread. */
    @SuppressWarnings("unchecked")
    private A receiveOrNull(WaitNode node) throws InterruptedException {
        for (;;) {
            int r;
            Object v = null;
            Thread t = null;
            boolean held = true;
            lock();
            try {
                v = pollLocked();
                if (v != null) {
                    r = DONE;
                } else if (closed) {
                    r = CLOSED;
                } else if (node == null) {
                    r = NEEDS_NODE;
                } else if (Thread.interrupted()) {
                    r = INTERRUPTED;
                } else {
                    enqueueLocked(node);
                    r = ENQUEUED;
                }
                t = toUnpark;
                toUnpark = null;
                unlock();
                held = false;
            } finally {
                if (held) {
                    // Fault path: no call until the lock is free (see "Exception safety").
                    if (t == null) {
                        t = toUnpark;
                    }
                    toUnpark = null;
                    lock = 0;
                }
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
            switch (r) {
                case DONE:
                    return (A) v;
                case CLOSED:
                    return null;
                case NEEDS_NODE:
                    node = new WaitNode(Thread.currentThread(), false, null); // outside the lock
                    break;
                case INTERRUPTED:
                    throw new InterruptedException("receive interrupted before a value was consumed");
                default:
                    int s = await(node, "receive interrupted before a value was consumed");
                    return Waiter.isClosed(s) ? null : (A) node.item;
            }
        }
    }

    /**
     * The waiting half of {@link #sendOrClosed} and {@link #receiveOrNull}, entered without the lock once
     * {@code node} is enqueued: waits until a counterpart or {@link #close()} commits it and returns the
     * committed state. If the thread is interrupted first, the node is withdrawn, nothing was
     * transferred, and this throws. If the wait itself dies (an {@link Error}), the node is withdrawn too
     * when that still can be, so no counterpart hands a value to a thread that has left.
     */
    private int await(WaitNode node, String interruptedMessage) throws InterruptedException {
        int s;
        try {
            s = node.await(node.spin ? spins() : 0, this);
        } catch (Throwable e) {
            if (node.tryCancel() == Waiter.CANCELLED) {
                unlink(node);
            }
            throw e;
        }
        if (node.spin) {
            spun(node);
        }
        if (s == Waiter.CANCELLED) {
            unlink(node);
            throw new InterruptedException(interruptedMessage);
        }
        return s;
    }

    /**
     * Receives a value if one is available without waiting. Never blocks (beyond a short critical
     * section); usable from any thread.
     *
     * @return the value, or {@code null} if none is available now (the channel is empty, or closed and
     *     drained: {@link #isClosedForReceive()} tells them apart, and stays true once true)
     */
    @SuppressWarnings("unchecked")
    public A tryReceive() {
        Object v;
        Thread t = null;
        boolean held = true;
        lock();
        try {
            v = pollLocked();
            t = toUnpark;
            toUnpark = null;
            unlock();
            held = false;
        } finally {
            if (held) {
                // Fault path: no call until the lock is free (see "Exception safety").
                if (t == null) {
                    t = toUnpark;
                }
                toUnpark = null;
                lock = 0;
            }
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        return (A) v;
    }

    // ------------------------------------------------------------------------------------------ hints

    // Why hints: a select's fiber path first tries every clause (one locked pass over all its channels), and when
    // nothing is ready its blocking select registers on a second pass. Select.Plan.likelyWaits asks these hints
    // of every clause and skips the try when all would wait: measured through the public API, a select over 2 and
    // 8 rendezvous channels went from 386-482 to 323-395 ns per element (docs/benchmarks.md, 2026-12-03). The plain
    // send and receive steps do not use them: there the extra read of a contended line measured slower (1->1
    // unbounded in the flatMap style, 78 -> 98 ns), and rendezvous did not move. Both read guarded
    // fields without the lock (plain, racy reads of an int and a reference that is only compared with null), so
    // the answer may be stale either way: it decides only which exact, locked operation the caller runs first,
    // never an outcome. A wrong "waits" costs a wait node allocated for nothing (the locked attempt of the
    // blocking call then completes at once); a wrong "does not wait" costs the failed try, as without the hint.
    // The reads cannot be hoisted out of a caller's loop: every turn of one passes a volatile read or a CAS with
    // acquire semantics (the run loop's cancellation check, the lock).

    /**
     * A hint, read without the lock: whether a send would most likely have to wait now (the buffer is at its
     * bound and no receiver is queued). It may be stale either way; callers use it only to choose between
     * exact, locked operations (see {@link Select.Plan#likelyWaits}).
     *
     * @return true if a send would probably wait
     */
    public boolean sendLikelyWaits() {
        return count >= bound && receivers.head == null;
    }

    /**
     * A hint, read without the lock: whether a receive would most likely have to wait now (the buffer is empty
     * and no sender is queued). It may be stale either way (see {@link #sendLikelyWaits}).
     *
     * @return true if a receive would probably wait
     */
    public boolean receiveLikelyWaits() {
        return count == 0 && senders.head == null;
    }

    // ----------------------------------------------------------------------------------------- close

    /**
     * Closes the channel. Idempotent. Every waiting sender fails (its value is not delivered), every
     * waiting receiver sees "closed"; values already buffered are still delivered to later receives.
     *
     * @return true if this call closed the channel, false if it was already closed
     */
    public boolean close() {
        WaitNode senders = null;
        WaitNode receivers = null;
        boolean closedNow = false;
        boolean held = true;
        lock();
        try {
            if (!closed) {
                // Detach both queues with field writes only: no call between the first change and the
                // last, so a throw cannot leave the channel half closed.
                senders = this.senders.head;
                receivers = this.receivers.head;
                for (WaitNode n = senders; n != null; n = n.next) {
                    n.linked = false;
                    n.prev = null;
                }
                for (WaitNode n = receivers; n != null; n = n.next) {
                    n.linked = false;
                    n.prev = null;
                }
                this.senders.head = this.senders.tail = null;
                this.receivers.head = this.receivers.tail = null;
                closed = true; // volatile: readers of isClosedForSend() see it without the lock
                closedNow = true;
            }
            unlock();
            held = false;
        } finally {
            if (held) {
                lock = 0; // fault path: a plain volatile store, no call (see "Exception safety")
            }
        }
        if (!closedNow) {
            return false;
        }
        // Outside the lock: the detached nodes are reachable only from here now.
        closeAll(senders);
        closeAll(receivers);
        return true;
    }

    private static void closeAll(WaitNode n) {
        while (n != null) {
            WaitNode next = n.next;
            n.next = null;
            if (n.waiter.tryCommit(n.clause, true) == Waiter.WON_UNPARK) {
                LockSupport.unpark(n.waiter.owner);
            }
            n = next;
        }
    }

    /**
     * Whether {@link #close()} was called: every send now fails.
     *
     * @return true once closed
     */
    public boolean isClosedForSend() {
        return closed;
    }

    /**
     * Whether the channel is closed and drained: every receive now returns "closed" at once. Once true,
     * stays true.
     *
     * @return true if closed and empty
     */
    public boolean isClosedForReceive() {
        if (!closed) {
            return false;
        }
        boolean drained;
        boolean held = true;
        lock();
        try {
            drained = count == 0 && senders.head == null;
            unlock();
            held = false;
        } finally {
            if (held) {
                lock = 0; // fault path (see "Exception safety")
            }
        }
        return drained;
    }

    /**
     * How many values are buffered right now (a snapshot): at most the capacity; always 0 on a rendezvous
     * channel. Values held by senders still waiting to hand them over are not counted.
     *
     * @return the number of buffered values
     */
    public int size() {
        lock();
        int n = count;
        unlock();
        return n;
    }

    /** For tests: how many nodes (live or dead) are queued, senders plus receivers. */
    int queuedWaiters() {
        int n = 0;
        boolean held = true;
        lock();
        try {
            n = senders.size() + receivers.size();
            unlock();
            held = false;
        } finally {
            if (held) {
                lock = 0; // fault path (see "Exception safety")
            }
        }
        return n;
    }

    @Override
    public String toString() {
        int buffered;
        boolean held = true;
        lock();
        try {
            buffered = count;
            unlock();
            held = false;
        } finally {
            if (held) {
                lock = 0; // fault path (see "Exception safety")
            }
        }
        // The string is built outside the lock: it allocates.
        return "Channel[capacity=" + (capacity == UNBOUNDED ? "unbounded" : capacity)
                + ", buffered=" + buffered + (closed ? ", closed" : "") + "]";
    }

    /** The current spin budget (0 for buffers larger than one). */
    int spins() {
        return spin.budget();
    }

    /** Feeds the outcome of a wait back into the spin budget. */
    void spun(Waiter w) {
        spin.record(w.parked);
    }

    // ------------------------------------------------------------------------ locked steps (Select)

    /**
     * Under the lock: delivers {@code value} to the oldest live receiver, or buffers it if there is room.
     * Sets {@link #toUnpark} if a parked receiver must be woken after unlocking. Never allocates: if an
     * unbounded buffer is full, returns {@link #GROW} and changes nothing but the removal of dead nodes.
     *
     * @return {@link #OFFERED}, {@link #FULL} (the caller must wait or give up) or {@link #GROW}
     */
    int offerLocked(Object value) {
        WaitNode r;
        while ((r = receivers.head) != null) {
            r.item = value; // published by the commit CAS; ignored if the CAS fails
            int won = r.waiter.tryCommit(r.clause, false);
            // Commit first, unlink second: a throw in between leaves a dead node queued (invariant 5).
            if (won != Waiter.LOST) {
                if (won == Waiter.WON_UNPARK) {
                    toUnpark = r.waiter.owner;
                }
                removeLocked(r);
                return OFFERED;
            }
            r.item = null; // a dead receiver: drop it and try the next one
            removeLocked(r);
        }
        return appendLocked(value); // the first change if no receiver took it (a dead one's removal aside)
    }

    /**
     * Under the lock: takes the next value from the buffer (refilling the freed slot from the oldest
     * live waiting sender) or, on an empty buffer, directly from the oldest live waiting sender. Sets
     * {@link #toUnpark} if a parked sender must be woken after unlocking.
     *
     * @return the value, or null if none is available
     */
    Object pollLocked() {
        if (count > 0) {
            Object v = popLocked(); // releases a big array if this drains the buffer (see RingBuffer)
            WaitNode s;
            while ((s = senders.head) != null) {
                int won = s.waiter.tryCommit(s.clause, false);
                if (won != Waiter.LOST) {
                    // No call between the commit and the value entering the freed slot: the buffer's fields
                    // are written inline here (see RingBuffer, "Exception safety").
                    Object[] a = items;
                    int i = head + count;
                    if (i >= a.length) {
                        i -= a.length;
                    }
                    a[i] = s.item;
                    count++;
                    if (won == Waiter.WON_UNPARK) {
                        toUnpark = s.waiter.owner;
                    }
                    removeLocked(s);
                    break;
                }
                removeLocked(s);
            }
            return v;
        }
        WaitNode s;
        while ((s = senders.head) != null) {
            int won = s.waiter.tryCommit(s.clause, false);
            if (won != Waiter.LOST) {
                if (won == Waiter.WON_UNPARK) {
                    toUnpark = s.waiter.owner;
                }
                removeLocked(s);
                return s.item;
            }
            removeLocked(s);
        }
        return null;
    }

    boolean closedLocked() {
        return closed;
    }

    /** Under the lock: appends {@code node} to the senders' or receivers' queue (by its kind). */
    void enqueueLocked(WaitNode node) {
        (node.sending ? senders : receivers).append(node);
    }

    /** Under the lock: removes {@code node} from its queue if it is still in it. */
    void removeLocked(WaitNode node) {
        (node.sending ? senders : receivers).remove(node);
    }

    /** Removes a node that its owner gave up on, if a counterpart has not already dequeued it. */
    void unlink(WaitNode node) {
        boolean held = true;
        lock();
        try {
            removeLocked(node);
            unlock();
            held = false;
        } finally {
            if (held) {
                lock = 0; // fault path (see "Exception safety")
            }
        }
    }

    /** Under the lock: takes (and clears) the thread to unpark, for callers that hold several locks. */
    Thread takeUnparkLocked() {
        Thread t = toUnpark;
        toUnpark = null;
        return t;
    }
}
