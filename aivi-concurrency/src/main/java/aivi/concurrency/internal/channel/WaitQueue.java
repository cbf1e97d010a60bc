package aivi.concurrency.internal.channel;

/**
 * A FIFO queue of {@link WaitNode}s: a channel's blocked senders or its blocked receivers. Intrusive (the
 * links live in the nodes) and doubly linked, so an owner that gives up unlinks its node in O(1).
 * Not thread-safe: every access is under the owning channel's lock.
 */
// Invariants: head == null iff tail == null; a node is linked (node.linked) iff it is reachable from head;
// head.prev == null and tail.next == null. Every method is atomic with respect to a throw (see Channel,
// "Exception safety"): after its entry it makes only field writes, no call. Channel.close() detaches a
// queue by writing these fields itself, so that closing both queues and setting the flag has no call in
// between.
final class WaitQueue {
    WaitNode head;
    WaitNode tail;

    /** Appends {@code node} (not linked anywhere) at the tail. */
    void append(WaitNode node) {
        node.linked = true;
        WaitNode t = tail;
        node.prev = t;
        if (t == null) {
            head = node;
        } else {
            t.next = node;
        }
        tail = node;
    }

    /** Removes {@code node} if it is still linked here. */
    void remove(WaitNode node) {
        if (!node.linked) {
            return;
        }
        node.linked = false;
        WaitNode p = node.prev;
        WaitNode n = node.next;
        if (p == null) {
            head = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.prev = p;
        }
        node.prev = null;
        node.next = null;
    }

    /** The number of nodes, live or dead; for tests. */
    int size() {
        int n = 0;
        for (WaitNode w = head; w != null; w = w.next) {
            n++;
        }
        return n;
    }
}
