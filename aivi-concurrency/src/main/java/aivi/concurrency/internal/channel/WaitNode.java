package aivi.concurrency.internal.channel;

/**
 * One entry in a channel's queue of blocked senders or receivers. A plain operation's node is its own
 * {@link Waiter}; a select's nodes (one per clause) share one.
 *
 * <p>All fields except those inherited from {@link Waiter} are guarded by the lock of the channel whose
 * queue holds (or held) the node: {@link #prev}, {@link #next}, {@link #linked}. {@link #item} is
 * written either by the owner before enqueueing (a sender's value; published by the lock release) or by
 * the one counterpart that dequeued the node under the lock, before its commit CAS (a received value;
 * published by the CAS, see {@link Waiter#tryCommit}).
 */
final class WaitNode extends Waiter {

    /** The waiter that decides this node's fate: {@code this} for a plain operation. */
    final Waiter waiter;
    /** The clause index this node stands for ({@code 0} for a plain operation). */
    final int clause;
    /** True if this node waits to send {@link #item}; false if it waits to receive into it. */
    final boolean sending;
    /** The value to send, or the value received. */
    Object item;
    /** Queue links; {@code linked} is false once the node left its queue for good. */
    WaitNode prev;
    WaitNode next;
    boolean linked;
    /** Whether the owner may spin before parking (see Channel's crowded variants); set before enqueueing. */
    boolean spin = true;

    /** A plain operation's node. */
    WaitNode(Thread owner, boolean sending, Object item) {
        super(owner);
        this.waiter = this;
        this.clause = 0;
        this.sending = sending;
        this.item = item;
    }

    /** A select clause's node. */
    WaitNode(Waiter waiter, int clause, boolean sending, Object item) {
        super(waiter.owner);
        this.waiter = waiter;
        this.clause = clause;
        this.sending = sending;
        this.item = item;
    }
}
