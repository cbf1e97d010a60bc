package aivi.concurrency.hazelcast;

import aivi.concurrency.ChannelError;
import aivi.concurrency.Result;
import aivi.concurrency.internal.spi.ChannelBackend;
import com.hazelcast.cluster.Member;
import com.hazelcast.collection.IQueue;
import com.hazelcast.collection.impl.queue.QueueService;
import com.hazelcast.collection.impl.txnqueue.operations.QueueTransactionRollbackOperation;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import com.hazelcast.spi.impl.AbstractDistributedObject;
import com.hazelcast.spi.impl.NodeEngine;
import com.hazelcast.spi.exception.TargetNotMemberException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A channel on one Hazelcast {@code IQueue}, as seen from one member: one instance per member and channel
 * name, kept in the member's user context so that every handle opened on that member shares it.
 */
final class QueueBackend<A> implements ChannelBackend<A> {
    // Implementation overview.
    //
    // Data path. Values go into the IQueue as they are (no envelope), so a send is one offer and a receive
    // one poll, as with a raw queue. The queue's max-size is the capacity and its backup count 1: an offer
    // returns only after the synchronous backup has the value, so a value whose send succeeded survives
    // the loss of one member.
    //
    // Blocking without losing cancellation. Hazelcast's blocking calls ignore Thread.interrupt() (the call
    // runs to its end, then the interrupt status is set again), and abandoning a remote poll could let it
    // take a value later that nobody reads. So every wait is a loop of timed calls of SLICE_MILLIS: each one
    // ends on the member, with a value or without; between two, the loop checks the interrupt status and
    // throws InterruptedException having transferred nothing. A call that returned a value is a committed
    // transfer: it is returned even if an interrupt came meanwhile (the status stays set). Cancellation
    // latency is therefore at most one slice.
    //
    // Close. States per member: OPEN -> CLOSING (no new send starts here) -> SEALED (every send that will
    // ever succeed has completed, on every member). The closing member:
    //   1. writes CLOSING to the channel's entry in the STATES map (members opening the channel later read
    //      it: they register their backend in the user context first, then read the map, so either they see
    //      the entry or phase 2 sees their backend);
    //   2. runs CloseTask(CLOSING) on every member and waits for all: each sets `closing` and waits until its
    //      `inFlight` count of sends is 0. A send increments inFlight, then reads closing (both volatile, so
    //      either the send sees closing and gives up, or the task sees the increment and waits). A send
    //      blocked on a full queue sees closing at the end of its slice and returns "closed" (its last offer
    //      failed: nothing delivered); an offer that succeeded meanwhile was delivered before the seal;
    //   3. writes SEALED to the map and runs CloseTask(SEALED) everywhere: each sets `sealed`;
    //   4. offers END (non-blocking) to wake receivers parked in a poll slice.
    // After step 2 no value can enter the queue. A receiver that read `sealed` as true and then polls nothing
    // knows the queue is empty for good: it reports closed (and offers END, so that others wake). A receiver
    // that takes END knows every value was ahead of it (END entered after the last value): it reports closed
    // and puts END back. Values sent before the close are therefore all delivered, then every receive on every
    // member reports closed; close returns once every member knows. A member that leaves during a close is
    // skipped (its senders are gone); see the ADR for what that means for a send it had in flight.
    //
    // Races considered: close vs send (steps 1-2 above); two closes at once (each runs the phases; all
    // idempotent); close vs a member opening the channel (step 1); a receiver racing END with a value (END
    // is behind every value); END on a full queue (the offer fails, but then no receiver waits on an empty
    // queue, and one that empties it reads `sealed`).

    /** The longest single blocking Hazelcast call; bounds the latency of cancellation and of close. */
    static final long SLICE_MILLIS = 50;
    /** How long a release of orphaned reservations waits for the queue's owner (it retries across a failover). */
    private static final long RELEASE_TIMEOUT_SECONDS = 60;
    /** How long a close waits for one member to answer a phase. */
    private static final long PHASE_TIMEOUT_SECONDS = 60;

    static final String STATES = "aivi.concurrency.channels";
    static final String EXECUTOR = "aivi.concurrency.channels";
    private static final String CLOSING_STATE = "CLOSING";
    private static final String SEALED_STATE = "SEALED";

    private static final Result<ChannelError, Boolean> OK_TRUE = Result.ok(true);
    private static final Result<ChannelError, Boolean> OK_FALSE = Result.ok(false);

    final HazelcastInstance member;
    final String name;
    final int capacity;
    final IQueue<Object> queue;

    private volatile boolean closing;
    private volatile boolean sealed;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();

    private QueueBackend(HazelcastInstance member, String name, int capacity) {
        this.member = member;
        this.name = name;
        this.capacity = capacity;
        this.queue = member.getQueue(queueName(name));
    }

    static String queueName(String channel) {
        return "aivi.concurrency.channel." + channel;
    }

    private static String contextKey(String channel) {
        return "aivi.concurrency.channel:" + channel;
    }

    /** This member's backend of {@code channel}, made (and synced with the cluster's close state) on first use. */
    static QueueBackend<?> open(HazelcastInstance member, String channel, int capacity) {
        QueueBackend<?> b = (QueueBackend<?>) member.getUserContext()
                .computeIfAbsent(contextKey(channel), k -> new QueueBackend<>(member, channel, capacity));
        if (b.capacity != capacity) {
            throw new IllegalArgumentException("DistributedChannel.open: channel '" + channel
                    + "' is open on this member with capacity " + b.capacity + ", was asked for " + capacity);
        }
        // after registering (see the overview, close step 1)
        IMap<String, String> states = member.getMap(STATES);
        String state = states.get(channel);
        if (state != null) {
            b.closing = true;
            if (state.equals(SEALED_STATE)) {
                b.sealed = true;
            }
        }
        return b;
    }

    /** This member's backend of {@code channel}, or {@code null} if it never opened it. */
    static QueueBackend<?> local(HazelcastInstance member, String channel) {
        return (QueueBackend<?>) member.getUserContext().get(contextKey(channel));
    }

    // ---------------------------------------------------------------------------------------------------
    // Sending

    @Override
    public boolean send(A value) throws InterruptedException {
        inFlight.incrementAndGet();
        try {
            if (closing) {
                return false;
            }
            for (;;) {
                if (offer(value, SLICE_MILLIS)) {
                    return true;
                }
                if (closing) {
                    return false; // the last offer failed: nothing was delivered
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            leave();
        }
    }

    @Override
    public Result<ChannelError, Boolean> trySend(A value) {
        inFlight.incrementAndGet();
        try {
            if (closing) {
                return Result.err(ChannelError.CLOSED);
            }
            return offer(value, 0) ? OK_TRUE : OK_FALSE;
        } finally {
            leave();
        }
    }

    private boolean offer(A value, long millis) throws HazelcastSerializationException {
        try {
            return millis == 0 ? queue.offer(value) : queue.offer(value, millis, TimeUnit.MILLISECONDS);
        } catch (HazelcastSerializationException e) {
            throw new IllegalArgumentException("send: a value of " + value.getClass()
                    + " cannot be serialized for the distributed channel '" + name
                    + "' (make it a record or class that implements java.io.Serializable, or register a"
                    + " Hazelcast serializer for it); nothing was sent: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            // Hazelcast does not abandon a started call on interrupt; if it ever throws here, nothing was
            // queued by this call (the operation was not sent): keep the status for the loop to see.
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void leave() {
        if (inFlight.decrementAndGet() == 0 && closing) {
            lock.lock();
            try {
                drained.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Receiving

    @Override
    @SuppressWarnings("unchecked")
    public A receive() throws InterruptedException {
        for (;;) {
            boolean wasSealed = sealed; // read before the poll: see the overview
            Object v = wasSealed ? queue.poll() : poll(SLICE_MILLIS);
            if (v == EndMarker.END) {
                endSeen();
                return null;
            }
            if (v != null) {
                return (A) v;
            }
            if (wasSealed) {
                queue.offer(EndMarker.END); // wake receivers parked elsewhere; fails harmlessly when full
                return null;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private Object poll(long millis) {
        try {
            return queue.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // as in offer: nothing was taken by this call
            return null;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public Optional<Result<ChannelError, A>> tryReceive() {
        boolean wasSealed = sealed;
        Object v = queue.poll();
        if (v == EndMarker.END) {
            endSeen();
            return Optional.of(Result.err(ChannelError.CLOSED));
        }
        if (v != null) {
            return Optional.of(Result.ok((A) v));
        }
        return wasSealed ? Optional.of(Result.err(ChannelError.CLOSED)) : Optional.empty();
    }

    /** A receiver took END: every value was ahead of it. Put it back for the next receiver. */
    void endSeen() {
        closing = true;
        sealed = true;
        queue.offer(EndMarker.END);
    }

    boolean isSealed() {
        return sealed;
    }

    // ---------------------------------------------------------------------------------------------------
    // Acknowledged receive: orphaned reservations (see Lease)

    /**
     * Puts back every value that transaction {@code txnId} reserved in the queue and did not commit, including
     * a reservation whose reply never reached this member (Hazelcast keeps it on the queue's owner under the
     * transaction's id, and a commit or rollback from here only names the values this member saw). Idempotent:
     * after a commit or rollback the transaction owns nothing else, so it only ever returns orphans. Waits,
     * uncancellably, until the queue's current owner has done it; an interrupt meanwhile is kept.
     */
    void releaseReservationsOf(UUID txnId) {
        String queueName = queueName(name);
        NodeEngine engine = ((AbstractDistributedObject<?>) queue).getNodeEngine();
        int partition = member.getPartitionService().getPartition(queueName).getPartitionId();
        Future<Object> done = engine.getOperationService().invokeOnPartition(QueueService.SERVICE_NAME,
                new QueueTransactionRollbackOperation(queueName, txnId), partition);
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    done.get(RELEASE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw new IllegalStateException("recvAcknowledged: could not put back what transaction " + txnId
                            + " reserved in the distributed channel '" + name + "'", e.getCause());
                } catch (TimeoutException e) {
                    throw new IllegalStateException("recvAcknowledged: the owner of the distributed channel '" + name
                            + "' did not answer within " + RELEASE_TIMEOUT_SECONDS + " s while putting back what"
                            + " transaction " + txnId + " reserved", e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Closing

    @Override
    public void close() {
        if (sealed) {
            return;
        }
        boolean interrupted = false;
        IMap<String, String> states = member.getMap(STATES);
        states.put(name, CLOSING_STATE);
        interrupted |= runOnAllMembers(CloseTask.CLOSING);
        states.put(name, SEALED_STATE);
        interrupted |= runOnAllMembers(CloseTask.SEALED);
        queue.offer(EndMarker.END);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a close phase on every member and waits for all; returns whether an interrupt arrived meanwhile. */
    private boolean runOnAllMembers(int phase) {
        Map<Member, Future<Boolean>> answers = member.getExecutorService(EXECUTOR)
                .submitToAllMembers(new CloseTask(name, phase));
        boolean interrupted = false;
        for (Map.Entry<Member, Future<Boolean>> e : answers.entrySet()) {
            for (;;) {
                try {
                    e.getValue().get(PHASE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    break;
                } catch (InterruptedException ie) {
                    interrupted = true; // a close runs to its end (it is bounded); the status is set again after
                } catch (MemberLeftException | HazelcastInstanceNotActiveException | TargetNotMemberException gone) {
                    break; // a member that left has no sends in flight any more
                } catch (ExecutionException ee) {
                    if (!memberGone(ee.getCause())) {
                        throw new IllegalStateException("close: member " + e.getKey() + " failed to close the"
                                + " distributed channel '" + name + "'", ee.getCause());
                    }
                    break;
                } catch (TimeoutException te) {
                    throw new IllegalStateException("close: member " + e.getKey() + " did not answer within "
                            + PHASE_TIMEOUT_SECONDS + " s while closing the distributed channel '" + name + "'", te);
                }
            }
        }
        return interrupted;
    }

    private static boolean memberGone(Throwable t) {
        return t instanceof MemberLeftException || t instanceof HazelcastInstanceNotActiveException
                || t instanceof TargetNotMemberException;
    }

    /** Close phase 1 on this member: no new send starts; wait for those in flight. */
    void stopSendsAndAwaitInFlight() throws InterruptedException {
        closing = true;
        lock.lock();
        try {
            while (inFlight.get() != 0) {
                drained.await(SLICE_MILLIS, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Close phase 2 on this member: every send that will ever succeed has completed. */
    void seal() {
        closing = true;
        sealed = true;
    }

    @Override
    public boolean isClosed() {
        return closing;
    }

    @Override
    public int size() {
        // The queue may also hold END markers that wake receivers after a close; they are not values.
        int n = 0;
        for (Object v : queue) {
            if (v != EndMarker.END) {
                n++;
            }
        }
        return n;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public String whyNoSelect() {
        return "the distributed channel '" + name + "' lives on a Hazelcast queue, which cannot commit exactly one"
                + " clause of several atomically across members; receive from it in a fiber of its own and forward"
                + " into an in-memory channel (Concurrency.makeBounded) to select over it";
    }

    @Override
    public String toString() {
        return "DistributedChannel[" + name + ", capacity " + capacity + "]";
    }
}
