package aivi.concurrency.internal.channel;

import aivi.concurrency.internal.SpinLock;

/**
 * The buffer of a {@link Channel}: a ring of at most {@link #bound} values in send order, guarded by the
 * channel's own lock (this object). A base class rather than a field, so that the buffer's fields live in the
 * channel object beside the lock word and the wait queues: one object, no extra load per operation.
 */
// Implementation overview (not public documentation).
//
// State, all guarded by the lock and all plain: items (the array; null on a rendezvous channel, where bound is
// 0), head (the index of the oldest value) and count (how many values are held, 0 <= count <= bound). The values
// are items[head], items[head + 1], ... modulo items.length; every other slot is null, so the buffer pins nothing
// it no longer holds.
//
// Growth. A buffered channel's array starts at min(bound, INITIAL_ARRAY) slots and an unbounded one's at
// INITIAL_ARRAY. A full array that may still grow is reported as GROW by appendLocked. The caller then unlocks
// and calls growFrom, which allocates the doubled array without the lock and installs it under the lock, if
// nobody grew it meanwhile. So nothing is allocated under the lock: an OutOfMemoryError cannot strike while it
// is held (see "Exception safety" in Channel).
//
// Release. When popLocked drains a buffer whose array is longer than RELEASE_LENGTH, the array is replaced by a
// shared empty one (field writes only). The next append finds that array full and grows it from INITIAL_ARRAY, as above. A
// 50M-value burst therefore does not pin its array for the channel's lifetime. A buffer that never drains
// completely (a consumer that always lags by a few values) keeps its largest array.
//
// Exception safety. Every method here changes nothing before its last call, or only field writes follow that
// call. A throw at a method's entry (a StackOverflowError) therefore leaves the buffer as it was. Channel's one
// refill of a freed slot from a waiting sender writes these fields inline, because no call may come between
// that sender's commit and its value entering the buffer.
abstract class RingBuffer extends SpinLock {
    /** The length of the first array of a buffer that may hold more values than this. */
    static final int INITIAL_ARRAY = 16;
    /**
     * A buffer array longer than this is released when the buffer drains, so a burst does not pin its
     * array for the channel's lifetime; the next send starts again at {@link #INITIAL_ARRAY}.
     */
    static final int RELEASE_LENGTH = 1024;
    private static final Object[] NO_ITEMS = new Object[0];

    /** {@link #appendLocked} outcome: the buffer is at its bound; nothing changed. */
    static final int FULL = 0;
    /** {@link #appendLocked} outcome (and, in {@link Channel#offerLocked}, handed to a receiver): done. */
    static final int OFFERED = 1;
    /** {@link #appendLocked} outcome: the array is full below the bound; {@link #growFrom} first, unlocked. */
    static final int GROW = 2;

    /** The most values the buffer may hold: 0 (rendezvous), a capacity, or {@code Integer.MAX_VALUE}. */
    final int bound;

    // Guarded by the lock. Package-private for Channel's inline refill (see the overview).
    Object[] items;
    int head;
    int count;

    RingBuffer(int bound) {
        this.bound = bound;
        this.items = bound == 0 ? null : new Object[Math.min(bound, INITIAL_ARRAY)];
    }

    /**
     * Under the lock: appends {@code value} if the buffer is below its bound and its array has room.
     *
     * @return {@link #OFFERED}, {@link #FULL}, or {@link #GROW} (nothing changed: grow, then try again)
     */
    final int appendLocked(Object value) {
        if (count >= bound) {
            return FULL;
        }
        Object[] a = items;
        if (count == a.length) {
            return GROW;
        }
        int i = head + count;
        if (i >= a.length) {
            i -= a.length;
        }
        a[i] = value;
        count++;
        return OFFERED;
    }

    /**
     * Under the lock, with {@code count > 0}: removes and returns the oldest value. If that drains a buffer
     * whose array is longer than {@link #RELEASE_LENGTH}, the array is given back (field writes only, nothing
     * allocated under the lock; see the overview).
     */
    final Object popLocked() {
        Object[] a = items;
        int h = head;
        Object v = a[h];
        a[h] = null;
        head = (h + 1 == a.length) ? 0 : h + 1;
        count--;
        // Releasing here cannot strand a refill: Channel refills the freed slot only from a live waiting sender,
        // and one is queued only while count == bound (its invariant 3). Draining to 0 means count was 1, so bound
        // would be 1, and a one-slot array is never released.
        if (count == 0 && a.length > RELEASE_LENGTH) {
            items = NO_ITEMS;
            head = 0;
        }
        return v;
    }

    /** Under the lock: the buffer's current array length, for {@link #growFrom}. */
    final int bufferLengthLocked() {
        return items.length;
    }

    /**
     * Without the lock: doubles a buffer that a locked step found full at array length {@code seen}. The new
     * array is allocated before taking the lock, so an {@link OutOfMemoryError} leaves nothing held and nothing
     * changed; under the lock it is installed only if the array is still shorter (another thread may have grown
     * it meanwhile).
     *
     * @throws OutOfMemoryError if the array cannot grow any further
     */
    final void growFrom(int seen) {
        int newLength = (int) Math.min((long) bound, Math.min(Math.max(INITIAL_ARRAY, 2L * seen),
                Integer.MAX_VALUE - 8L));
        if (newLength <= seen) {
            throw new OutOfMemoryError("channel buffer cannot grow beyond " + seen + " values");
        }
        Object[] b = new Object[newLength];
        boolean held = true;
        lock();
        try {
            Object[] a = items;
            int n = a.length;
            if (n < newLength) {
                int firstPart = Math.min(count, n - head);
                System.arraycopy(a, head, b, 0, firstPart);
                System.arraycopy(a, 0, b, firstPart, count - firstPart);
                items = b; // the fields change only after both copies succeeded
                head = 0;
            }
            unlock();
            held = false;
        } finally {
            if (held) {
                lock = 0; // fault path: a plain volatile store, no call (see "Exception safety" in Channel)
            }
        }
    }
}
