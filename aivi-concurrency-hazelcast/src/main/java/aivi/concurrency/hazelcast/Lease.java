package aivi.concurrency.hazelcast;

import aivi.concurrency.Effect;
import aivi.concurrency.Unit;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.PartitionMigratingException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import com.hazelcast.spi.exception.WrongTargetException;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.transaction.TransactionContext;
import com.hazelcast.transaction.TransactionException;
import com.hazelcast.transaction.TransactionOptions;
import com.hazelcast.transaction.TransactionalQueue;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A value taken from a distributed channel inside a Hazelcast transaction, not yet removed for good: the
 * acknowledged receive of {@link DistributedChannel#recvAcknowledged}. Commit removes it; rollback, a member's
 * death or the end of the lease (the transaction timeout) puts it back in the queue.
 */
final class Lease<A> {
    // Taking: each slice of the wait is its own transaction (begin, timed poll, rollback if nothing came),
    // so the lease (the transaction timeout) counts from the moment a value was taken, not from the start of
    // the wait. Close: the same rules as QueueBackend.receive (read `sealed` before polling; END means
    // closed and is left in the queue by the rollback). Cancellation: between slices, with nothing taken.
    // A lease is used by one fiber (one virtual thread), as Hazelcast transactions require.
    //
    // Orphaned reservations (the member-kill loss of issue 12). A transactional poll reserves the head on the
    // queue's owner: the value moves into the owner's (and, by a sync backup, the backup's) map of reservations
    // under the transaction's id. The transaction's own commit and rollback name only the values whose poll
    // *reply* reached this member. A reservation whose reply was lost is an orphan: no later operation names
    // it, so it is never committed, never put back, and the value is gone. Two ways to make one:
    //   (a) this member is the one being killed: its poll ran on the owner, the reply never came, the poll
    //       fails with HazelcastInstanceNotActiveException. Hazelcast's cure is the transaction's backup log
    //       (on another member, state ACTIVE): when this member has left, that member rolls the transaction
    //       back *by id* on every queue, orphans included. But a rollback attempted here first marks that
    //       log ROLLING_BACK and then purges it, and then nobody rolls back by id. Observed: 6 runs of 15 of
    //       the kill scenario lost one value each, every lost value an orphan of a transaction begun on the
    //       killed member. So a member that is going down leaves its transactions alone (rollbackUnlessDown).
    //   (b) the queue's owner is killed while a poll from here is in flight: Hazelcast retries the poll on
    //       the new owner (member-left is a retryable error), which reserves a second value, while the first
    //       execution's backup had already reserved the first one there. Nobody rolls back by id, since this
    //       member, the transaction's owner, is alive. So after a transaction that saw the membership change
    //       or an error, this member rolls its own id back on the queue's owner (releaseReservationsOf):
    //       idempotent, and after a commit or rollback it finds only orphans.
    // Both put the orphan back at the head of the queue. The value was never handed to `process`, so this
    // adds no duplicates. What remains (see the ADR): a reservation is backed up, its by-id release is not,
    // so a second kill (of the new owner) before the next backup sync can lose an orphan again; backup count
    // 1 promises one failure at a time.

    private final QueueBackend<A> backend;
    private final TransactionContext tx;
    private final Set<Member> membersAtBegin;
    private final A value;
    private boolean open;

    private Lease(QueueBackend<A> backend, TransactionContext tx, Set<Member> membersAtBegin, A value) {
        this.backend = backend;
        this.tx = tx;
        this.membersAtBegin = membersAtBegin;
        this.value = value;
        this.open = tx != null;
    }

    private static <A> Lease<A> closedLease(QueueBackend<A> backend) {
        return new Lease<>(backend, null, Set.of(), null);
    }

    @SuppressWarnings("unchecked")
    static <A> Lease<A> take(QueueBackend<A> backend, Duration lease) throws InterruptedException {
        TransactionOptions options = new TransactionOptions()
                .setTransactionType(TransactionOptions.TransactionType.TWO_PHASE)
                .setTimeout(lease.toMillis(), TimeUnit.MILLISECONDS);
        for (;;) {
            boolean wasSealed = backend.isSealed();
            Set<Member> members = backend.member.getCluster().getMembers();
            TransactionContext tx = backend.member.newTransactionContext(options);
            tx.beginTransaction();
            Object v;
            try {
                TransactionalQueue<Object> q = tx.getQueue(QueueBackend.queueName(backend.name));
                v = wasSealed ? q.poll() : q.poll(QueueBackend.SLICE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                abandon(backend, tx, members, e);
                throw e;
            } catch (RuntimeException e) {
                // The poll may have reserved a value whose reply was lost: put it back (see the overview).
                if (!abandon(backend, tx, members, e)) {
                    throw e;
                }
                if (clusterChanged(e)) {
                    continue; // the queue's owner left mid-poll: try the new owner
                }
                throw e;
            }
            if (v != null && v != EndMarker.END) {
                return new Lease<>(backend, tx, members, (A) v);
            }
            rollbackUnlessDown(backend, tx, members, false);
            if (v == EndMarker.END) {
                backend.endSeen();
                return closedLease(backend);
            }
            if (wasSealed) {
                return closedLease(backend);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /**
     * Rolls {@code tx} back and, if {@code uncertain} or the cluster changed since it began, puts back what it
     * reserved without this member knowing; does nothing if this member is going down (the cluster rolls the
     * transaction back by id once it has left, see the overview). Returns whether this member is still up.
     */
    private static boolean rollbackUnlessDown(QueueBackend<?> backend, TransactionContext tx,
                                              Set<Member> membersAtBegin, boolean uncertain) {
        if (!backend.member.getLifecycleService().isRunning()) {
            return false;
        }
        rollbackQuietly(tx);
        releaseOrphans(backend, tx, membersAtBegin, uncertain);
        return true;
    }

    /** {@link #rollbackUnlessDown} after the poll failed with {@code failure}, which keeps what that throws. */
    private static boolean abandon(QueueBackend<?> backend, TransactionContext tx, Set<Member> membersAtBegin,
                                   Exception failure) {
        try {
            return rollbackUnlessDown(backend, tx, membersAtBegin, true);
        } catch (RuntimeException r) {
            failure.addSuppressed(r);
            return false;
        }
    }

    private static void releaseOrphans(QueueBackend<?> backend, TransactionContext tx, Set<Member> membersAtBegin,
                                       boolean uncertain) {
        if (uncertain || !backend.member.getCluster().getMembers().equals(membersAtBegin)) {
            backend.releaseReservationsOf(tx.getTxnId());
        }
    }

    /** A member left or the cluster is migrating a partition; not this member shutting down. */
    private static boolean clusterChanged(RuntimeException e) {
        if (e instanceof HazelcastInstanceNotActiveException) {
            return false;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MemberLeftException || t instanceof TargetDisconnectedException
                    || t instanceof TransactionException || t instanceof PartitionMigratingException
                    || t instanceof WrongTargetException || t instanceof TargetNotMemberException) {
                return true;
            }
        }
        return false;
    }

    private static void rollbackQuietly(TransactionContext tx) {
        try {
            tx.rollbackTransaction();
        } catch (RuntimeException ignored) {
            // the transaction is rolled back by the cluster anyway once its owner or its partition moves on
        }
    }

    boolean closed() {
        return value == null;
    }

    A value() {
        return value;
    }

    void commit() {
        open = false;
        try {
            tx.commitTransaction();
        } catch (RuntimeException e) {
            try {
                // what Hazelcast asks for after a failed commit, unless this member is going down (overview)
                rollbackUnlessDown(backend, tx, membersAtBegin, true);
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
        releaseOrphans(backend, tx, membersAtBegin, false);
    }

    Effect<Object, Unit> rollbackIfOpen() {
        return Effect.sync(() -> {
            if (open) {
                open = false;
                rollbackUnlessDown(backend, tx, membersAtBegin, false);
            }
            return Unit.UNIT;
        });
    }
}
