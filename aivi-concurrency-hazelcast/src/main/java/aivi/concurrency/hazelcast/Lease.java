package aivi.concurrency.hazelcast;

import aivi.concurrency.Effect;
import aivi.concurrency.Unit;
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

    private final TransactionContext tx;
    private final A value;
    private boolean open;

    private Lease(TransactionContext tx, A value) {
        this.tx = tx;
        this.value = value;
        this.open = tx != null;
    }

    @SuppressWarnings("unchecked")
    static <A> Lease<A> take(QueueBackend<A> backend, Duration lease) throws InterruptedException {
        TransactionOptions options = new TransactionOptions()
                .setTransactionType(TransactionOptions.TransactionType.TWO_PHASE)
                .setTimeout(lease.toMillis(), TimeUnit.MILLISECONDS);
        for (;;) {
            boolean wasSealed = backend.isSealed();
            TransactionContext tx = backend.member.newTransactionContext(options);
            tx.beginTransaction();
            Object v;
            try {
                TransactionalQueue<Object> q = tx.getQueue(QueueBackend.queueName(backend.name));
                v = wasSealed ? q.poll() : q.poll(QueueBackend.SLICE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                tx.rollbackTransaction();
                throw e;
            } catch (RuntimeException e) {
                rollbackQuietly(tx);
                if (clusterChanged(e)) {
                    // The member owning the queue left mid-poll: the transaction did not commit, so whatever
                    // it took goes back with the rollback (or with that member's death). Try the new owner.
                    continue;
                }
                throw e;
            }
            if (v != null && v != EndMarker.END) {
                return new Lease<>(tx, (A) v);
            }
            tx.rollbackTransaction();
            if (v == EndMarker.END) {
                backend.endSeen();
                return new Lease<>(null, null);
            }
            if (wasSealed) {
                return new Lease<>(null, null);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
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
                tx.rollbackTransaction(); // what Hazelcast asks for after a failed commit
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
    }

    Effect<Object, Unit> rollbackIfOpen() {
        return Effect.sync(() -> {
            if (open) {
                open = false;
                tx.rollbackTransaction();
            }
            return Unit.UNIT;
        });
    }
}
