package aivi.concurrency.hazelcast;

import aivi.concurrency.ChannelError;
import aivi.concurrency.Effect;
import aivi.concurrency.Pair;
import aivi.concurrency.Receiver;
import aivi.concurrency.Result;
import aivi.concurrency.Sender;
import aivi.concurrency.internal.spi.ChannelBackends;
import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.QueueConfig;
import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * A bounded channel shared by the members of a Hazelcast cluster, handed out as the library's own
 * {@link Sender} and {@link Receiver}: {@code send}, {@code recv}, {@code close}, {@code forEach}, {@code fold},
 * {@code trySend}, {@code tryRecv} and iteration work on it unchanged, on any member, so a worker pool written
 * with {@code makeBounded} runs across machines by changing how the channel is made.
 *
 * {@snippet :
 * Effect<String, Integer> sumOfJobs(HazelcastInstance member) {
 *     DistributedChannel<Integer> jobs = DistributedChannel.open(member, "jobs", 16);
 *     Sender<Integer> out = jobs.sender();
 *     Effect<String, Unit> produce = out.<String>send(1).then(out.send(2)).then(out.close());
 *     return Concurrency.par(produce, jobs.receiver().<String, Integer>fold(0, Integer::sum))
 *             .map(Pair::second); // 3, whichever members produce and consume
 * }
 * }
 *
 * <p>The channel is a Hazelcast {@code IQueue} named {@code aivi.concurrency.channel.<name>} with max-size
 * {@code capacity} and one synchronous backup. What it promises (docs/adr/0006-distributed-channels.md):
 * <ul>
 *   <li><b>Bounded.</b> {@code send} waits while the queue holds {@code capacity} values: backpressure across
 *       machines. {@code capacity} is at least 1: a Hazelcast queue cannot be a rendezvous channel.</li>
 *   <li><b>Close.</b> {@code close} on any member closes the channel on every member. Values sent before the
 *       close are still delivered; then every receive on every member yields {@code Err(CLOSED)}. A send
 *       racing with the close either is delivered or reports closed, never both, never neither. {@code close}
 *       returns once every member knows; it waits (uncancellably, about one poll slice plus a few round
 *       trips) for sends in flight on every member.</li>
 *   <li><b>No loss.</b> A value whose send succeeded is on two members; a consumer that uses
 *       {@link #recvAcknowledged} handles it at least once even if one of them, or the consumer's own member, is
 *       killed, with the duplicates the ADR lists. A plain {@code recv} is at-most-once across a kill: a value
 *       taken by a member that dies is lost with it.</li>
 *   <li><b>Cancellation.</b> A fiber blocked in {@code send} or {@code recv} is cancelled within about 50 ms
 *       (Hazelcast's blocking calls ignore interrupts, so the channel waits in timed slices); a cancelled
 *       send delivered nothing and a cancelled receive consumed nothing.</li>
 *   <li><b>Serialization.</b> Values cross the network, so they must be serializable by Hazelcast (a record
 *       or class implementing {@link java.io.Serializable}, or a type with a registered serializer). A send of
 *       a value that is not dies with an {@link IllegalArgumentException} naming its class; nothing was
 *       sent.</li>
 *   <li><b>No select.</b> {@code Clause.recv}/{@code Clause.send} refuse a distributed channel with an
 *       {@link UnsupportedOperationException}: a select commits exactly one clause atomically, which a queue
 *       on another machine cannot take part in. Receive in a fiber of its own and forward into an in-memory
 *       channel to select over it.</li>
 * </ul>
 *
 * <p>Memory consistency: actions of a fiber before it sends a value happen-before the actions of the fiber
 * that receives it when both run on the same member; across members, the receiver sees the value as
 * serialized at the send.
 *
 * <p>Only embedded members can open a channel (a Hazelcast client cannot take part in the close protocol).
 *
 * @param <A> the type of values
 */
public final class DistributedChannel<A> {
    private final QueueBackend<A> backend;
    private final Sender<A> sender;
    private final Receiver<A> receiver;

    private DistributedChannel(QueueBackend<A> backend) {
        this.backend = backend;
        Pair<Sender<A>, Receiver<A>> handles = ChannelBackends.open(backend);
        this.sender = handles.first();
        this.receiver = handles.second();
    }

    /**
     * Opens, on {@code member}, the channel called {@code name} with room for {@code capacity} values, creating
     * it in the cluster if it does not exist. Every member that opens the same name gets the same channel.
     * Blocks for a few round trips to the cluster (not an effect: call it when you set up, or wrap it in
     * {@code Effect.sync}).
     *
     * @param member   an embedded Hazelcast member
     * @param name     the channel's name, the same on every member; not blank
     * @param capacity how many values the channel holds before {@code send} waits; at least 1, the same on
     *                 every member
     * @param <A>      the type of values
     * @return the channel
     * @throws IllegalArgumentException if {@code name} is blank, {@code capacity < 1}, {@code member} is a
     *                                  client, or the channel exists with another capacity
     */
    @SuppressWarnings("unchecked")
    public static <A> DistributedChannel<A> open(HazelcastInstance member, String name, int capacity) {
        Objects.requireNonNull(member, "DistributedChannel.open: member must not be null");
        Objects.requireNonNull(name, "DistributedChannel.open: name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("DistributedChannel.open: name must not be blank, was '" + name + "'");
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("DistributedChannel.open: capacity must be >= 1 (a Hazelcast queue"
                    + " cannot be a rendezvous channel), was " + capacity);
        }
        try {
            member.getCluster().getLocalMember();
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("DistributedChannel.open: member must be an embedded Hazelcast"
                    + " member, was a client (" + member.getName() + ")", e);
        }
        try {
            member.getConfig().addQueueConfig(new QueueConfig(QueueBackend.queueName(name))
                    .setMaxSize(capacity).setBackupCount(1).setAsyncBackupCount(0));
        } catch (InvalidConfigurationException e) {
            throw new IllegalArgumentException("DistributedChannel.open: channel '" + name + "' exists in the"
                    + " cluster with another configuration than capacity " + capacity + ": " + e.getMessage(), e);
        }
        return new DistributedChannel<>((QueueBackend<A>) QueueBackend.open(member, name, capacity));
    }

    /**
     * The sending end; the same object on every call.
     *
     * @return the sender
     */
    public Sender<A> sender() {
        return sender;
    }

    /**
     * The receiving end; the same object on every call.
     *
     * @return the receiver
     */
    public Receiver<A> receiver() {
        return receiver;
    }

    /**
     * The channel's name.
     *
     * @return the name given to {@link #open}
     */
    public String name() {
        return backend.name;
    }

    /**
     * The channel's capacity.
     *
     * @return the capacity given to {@link #open}
     */
    public int capacity() {
        return backend.capacity;
    }

    /**
     * Receives a value and runs {@code process} on it, and only then removes it from the channel for good:
     * at-least-once delivery for consumers that may die. The value is taken in a Hazelcast transaction that
     * commits when {@code process} succeeds. If {@code process} fails, dies or is cancelled, or the member dies,
     * or {@code lease} runs out first, the transaction rolls back and the value goes back to the channel for
     * another receive.
     *
     * {@snippet :
     * Effect<String, Unit> worker(DistributedChannel<String> jobs) {
     *     return jobs.<String, Unit>recvAcknowledged(Duration.ofSeconds(30), job -> Effect.sync(() -> {
     *         System.out.println("handled " + job); // may run twice for one job: make it idempotent
     *         return Unit.UNIT;
     *     })).flatMap(r -> r.isOk() ? worker(jobs) : Effect.unit());
     * }
     * }
     *
     * <p>Duplicates: a value is handled twice when {@code process} finished its side effects but the commit did
     * not happen (the member died, or the lease ran out, in between); make {@code process} idempotent.
     *
     * <p>Blocks the fiber like {@code recv} until a value is available or the channel is closed and drained;
     * cancellable while it waits (nothing is consumed) and while {@code process} runs (the value goes back).
     *
     * @param lease   how long {@code process} may take before the value goes back (the transaction timeout);
     *                positive
     * @param process what to do with the value
     * @param <E>     the typed error
     * @param <B>     what {@code process} yields
     * @return {@code Ok(what process yielded)} after the commit, or {@code Err(CLOSED)} once the channel is
     *         closed and drained; fails, dies or is cancelled as {@code process} did (the value went back); dies
     *         if the commit fails (the value went back, and {@code process} ran)
     * @throws IllegalArgumentException if {@code lease} is not positive
     */
    public <E, B> Effect<E, Result<ChannelError, B>> recvAcknowledged(
            Duration lease, Function<? super A, ? extends Effect<E, B>> process) {
        Objects.requireNonNull(lease, "DistributedChannel.recvAcknowledged: lease must not be null");
        Objects.requireNonNull(process, "DistributedChannel.recvAcknowledged: process must not be null");
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("DistributedChannel.recvAcknowledged: lease must be positive, was "
                    + lease);
        }
        Effect<E, Lease<A>> take = ChannelBackends.blocking(() -> Lease.take(backend, lease));
        return Effect.acquireRelease(take, Lease::rollbackIfOpen, l -> {
            if (l.closed()) {
                return Effect.succeed(Result.<ChannelError, B>err(ChannelError.CLOSED));
            }
            return Objects.requireNonNull(process.apply(l.value()),
                            "DistributedChannel.recvAcknowledged: process returned null")
                    .flatMap(b -> Effect.<E, Result<ChannelError, B>>sync(() -> {
                        l.commit();
                        return Result.ok(b);
                    }));
        });
    }

    @Override
    public String toString() {
        return backend.toString();
    }

    /** For tests: whether this member knows the channel is closed and every send has completed. */
    boolean isSealedHere() {
        return backend.isSealed();
    }
}
