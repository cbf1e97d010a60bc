package aivi.concurrency.hazelcast;

import aivi.concurrency.ChannelError;
import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.Result;
import aivi.concurrency.Unit;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.collection.impl.queue.QueueContainer;
import com.hazelcast.collection.impl.queue.QueueService;
import com.hazelcast.collection.impl.txnqueue.TxQueueItem;
import com.hazelcast.collection.impl.txnqueue.operations.TxnReservePollOperation;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.spi.impl.NodeEngine;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static aivi.concurrency.Concurrency.par;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * No loss when a member is killed mid-stream (ADR 0006, "No loss"): three members, a producer on one that does
 * not own the queue's partition, acknowledged consumers on the two others, and the partition's owner killed
 * with {@code terminate()} (no graceful migration) after a part of the stream. Every value whose send
 * succeeded must be handled at least once; duplicates are counted and must stay within the ADR's bound.
 *
 * <p>The kill is repeated on fresh clusters at several points of the stream: before the fix (issue 12) one
 * round in about three lost a value (a transactional poll of the killed member's own consumer whose
 * reservation was left behind on the new owner), so five rounds caught it in most runs of this class.
 */
class MemberKillTest {
    private static final int ROUNDS = 5;
    private static final int VALUES = 400;
    /** More consumers on the killed member, more polls in flight when it dies: the loss of issue 12 needed one. */
    private static final int CONSUMERS_ON_VICTIM = 4;
    private static final int CONSUMERS_ON_SURVIVOR = 2;

    private record Round(int killAt, Set<Integer> sent, Set<Integer> ambiguous, Map<Integer, AtomicInteger> handled,
                         int handledOnVictim, List<Exit<String, Unit>> survivors, long startMillis, long millis) {
        int duplicates() {
            return handled.values().stream().mapToInt(n -> n.get() - 1).sum();
        }
    }

    @Test
    @Timeout(150)
    void killingTheMemberThatOwnsTheQueueLosesNoValueWhoseSendSucceeded() throws Exception {
        int totalDuplicates = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int killAt = VALUES * (round + 1) / (ROUNDS + 2); // 57, 114, ... 285 values handled before the kill
            Round r = killTheOwnerAfter(round, killAt);
            Set<Integer> seen = new HashSet<>(r.handled().keySet());
            Set<Integer> lost = new HashSet<>(r.sent());
            lost.removeAll(seen);
            System.out.printf("MemberKillTest round %d: kill after %d handled; cluster start %d ms, %d sent,"
                            + " %d ambiguous sends, %d handled (%d on the killed member), %d duplicates, %d lost,"
                            + " %d ms%n", round, killAt, r.startMillis(), r.sent().size(), r.ambiguous().size(),
                    seen.size(), r.handledOnVictim(), r.duplicates(), lost.size(), r.millis());
            // the survivor's consumers ended on Err(CLOSED) after the close; the victim's died with their member
            assertThat(r.survivors()).containsOnly(Exit.success(Unit.UNIT));
            assertThat(lost).as("round %d (kill after %d): values whose send succeeded and were never handled",
                    round, killAt).isEmpty();
            assertThat(seen).as("nothing was handled that was not sent")
                    .allMatch(v -> r.sent().contains(v) || r.ambiguous().contains(v));
            // ADR 0006: a value is handled twice only if its handler finished on the killed member before the
            // commit (at most one per consumer there), or its send was retried across the kill (one per producer)
            assertThat(r.duplicates()).isLessThanOrEqualTo(CONSUMERS_ON_VICTIM + 1);
            totalDuplicates += r.duplicates();
        }
        System.out.printf("MemberKillTest: %d rounds of %d values, %d duplicates in all%n", ROUNDS, VALUES,
                totalDuplicates);
    }

    private static Round killTheOwnerAfter(int round, int killAt) throws Exception {
        long t0 = System.nanoTime();
        try (TestCluster cluster = TestCluster.start(3)) {
            String name = "kill-mid-stream-" + round;
            HazelcastInstance any = cluster.member(0);
            DistributedChannel.open(any, name, 8);
            int partitionId = any.getPartitionService().getPartition(QueueBackend.queueName(name)).getPartitionId();
            HazelcastInstance victim = ownerAndBackup(cluster, partitionId)[0]; // the owner every member agrees on
            List<HazelcastInstance> others = cluster.members.stream().filter(m -> m != victim).toList();
            HazelcastInstance producerMember = others.get(0);
            HazelcastInstance survivor = others.get(1);

            DistributedChannel<Integer> out = DistributedChannel.open(producerMember, name, 8);
            Set<Integer> sent = ConcurrentHashMap.newKeySet();
            Set<Integer> ambiguous = ConcurrentHashMap.newKeySet();
            Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
            AtomicInteger handledOnVictim = new AtomicInteger();
            CountDownLatch progress = new CountDownLatch(killAt);

            Effect<String, Unit> produce = produceFrom(out, 1, sent, ambiguous).then(out.sender().close());
            Effect<String, List<Exit<String, Unit>>> survivors = Effect.succeed(List.of());
            Effect<String, Unit> victims = Effect.unit();
            DistributedChannel<Integer> onVictim = DistributedChannel.open(victim, name, 8);
            for (int i = 0; i < CONSUMERS_ON_VICTIM; i++) {
                // these die with their member (their exit is not checked)
                victims = par(victims, consume(onVictim, handled, handledOnVictim, progress).exit()).map(p -> Unit.UNIT);
            }
            DistributedChannel<Integer> onSurvivor = DistributedChannel.open(survivor, name, 8);
            for (int i = 0; i < CONSUMERS_ON_SURVIVOR; i++) {
                survivors = par(survivors, consume(onSurvivor, handled, new AtomicInteger(), progress).exit())
                        .map(p -> {
                            List<Exit<String, Unit>> all = new ArrayList<>(p.first());
                            all.add(p.second());
                            return all;
                        });
            }
            Effect<String, Unit> killer = Effect.sync(() -> {
                try {
                    progress.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                victim.getLifecycleService().terminate();
                return Unit.UNIT;
            });

            List<Exit<String, Unit>> survivorExits = par(par(produce, killer), par(victims, survivors))
                    .runOrThrow().second().second();
            return new Round(killAt, sent, ambiguous, handled, handledOnVictim.get(), survivorExits,
                    cluster.startMillis, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /**
     * The other way a reservation is orphaned (see Lease): the queue's owner dies while a transactional poll is in
     * flight, Hazelcast retries the poll on the new owner, and the first execution's reservation stays there
     * under the transaction's id, unseen by the consumer. The test makes that reservation itself (the operation a
     * retried poll leaves behind) while a lease is open, then changes the cluster: the commit must put the orphan
     * back, and it must be received once.
     */
    @Test
    @Timeout(90)
    void aReservationALeaseNeverSawIsPutBackWhenTheClusterChangedMeanwhile() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            String name = "orphaned-reservation";
            String queueName = QueueBackend.queueName(name);
            cluster.awaitPartitionsSafe(); // right after the members joined, a partition may not have its backup yet
            HazelcastInstance any = cluster.member(0);
            var partition = any.getPartitionService().getPartition(queueName);
            HazelcastInstance[] replicas = ownerAndBackup(cluster, partition.getPartitionId());
            HazelcastInstance ownerMember = replicas[0];
            HazelcastInstance backupMember = replicas[1];
            HazelcastInstance bystander = cluster.members.stream()
                    .filter(m -> m != ownerMember && m != backupMember).findFirst().orElseThrow();
            DistributedChannel<Integer> ch = DistributedChannel.open(ownerMember, name, 8);
            DistributedChannel<Integer> in = DistributedChannel.open(backupMember, name, 8);
            ch.sender().<String>send(1).then(ch.sender().send(2)).runOrThrow();

            CountDownLatch bystanderGone = new CountDownLatch(1);
            backupMember.getCluster().addMembershipListener(new MembershipListener() {
                @Override
                public void memberAdded(MembershipEvent e) {
                }

                @Override
                public void memberRemoved(MembershipEvent e) {
                    bystanderGone.countDown();
                }
            });
            List<Integer> handled = new CopyOnWriteArrayList<>();
            Effect<String, Result<ChannelError, Unit>> first = in.recvAcknowledged(Duration.ofSeconds(30),
                    v -> Effect.<String, Unit>sync(() -> {
                        try {
                            orphanAReservationThenChangeTheCluster(ownerMember, backupMember, bystander, bystanderGone,
                                    queueName, partition.getPartitionId(), ch);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        handled.add(v);
                        return Unit.UNIT;
                    }));
            assertThat(first.runOrThrow()).isEqualTo(Result.ok(Unit.UNIT));

            ch.sender().<String>close().runOrThrow();
            Effect<String, Result<ChannelError, Unit>> next = in.recvAcknowledged(Duration.ofSeconds(30),
                    v -> Effect.<String, Unit>sync(() -> {
                        handled.add(v);
                        return Unit.UNIT;
                    }));
            assertThat(next.runOrThrow()).as("the orphan came back").isEqualTo(Result.ok(Unit.UNIT));
            assertThat(next.runOrThrow()).isEqualTo(Result.err(ChannelError.CLOSED));
            assertThat(handled).containsExactly(1, 2);
        }
    }

    /** Inside the lease's process: reserve the next value under the lease's transaction, then kill the bystander. */
    private static void orphanAReservationThenChangeTheCluster(HazelcastInstance ownerMember,
            HazelcastInstance backupMember, HazelcastInstance bystander, CountDownLatch bystanderGone, String queueName,
            int partitionId, DistributedChannel<Integer> ch) throws Exception {
        UUID txn = theOnlyTransactionReservingIn(ownerMember, queueName);
        // what a retried poll leaves behind: value 2 reserved under this lease's transaction
        NodeEngine engine = ((HazelcastInstanceProxy) backupMember).getOriginal().node.getNodeEngine();
        Object orphan = engine.getOperationService().invokeOnPartition(QueueService.SERVICE_NAME,
                new TxnReservePollOperation(queueName, 0, -1, txn), partitionId).get(30, TimeUnit.SECONDS);
        assertThat(orphan).as("the orphaned reservation was made").isNotNull();
        assertThat(ch.sender().size()).as("value 2 is reserved, not in the queue").isZero();
        bystander.getLifecycleService().terminate(); // the cluster changes while the lease is open
        assertThat(bystanderGone.await(60, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * The owner and the first backup of a partition, once every member's partition table names the same two. Right
     * after the members joined, migrations can still move the partition after each member reported itself safe,
     * and a member's own table can lag behind the master's: picking the backup from one member's view then found
     * none (seen in CI: NoSuchElementException). So this waits, with a deadline, until the views agree.
     */
    private static HazelcastInstance[] ownerAndBackup(TestCluster cluster, int partitionId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (;;) {
            cluster.awaitPartitionsSafe();
            UUID owner = null;
            UUID backup = null;
            boolean agree = true;
            for (HazelcastInstance m : cluster.members) {
                var table = ((HazelcastInstanceProxy) m).getOriginal().node.getPartitionService()
                        .getPartition(partitionId);
                var r0 = table.getReplica(0);
                var r1 = table.getReplica(1);
                if (r0 == null || r1 == null
                        || (owner != null && (!owner.equals(r0.uuid()) || !backup.equals(r1.uuid())))) {
                    agree = false;
                    break;
                }
                owner = r0.uuid();
                backup = r1.uuid();
            }
            if (agree) {
                HazelcastInstance o = memberWith(cluster, owner);
                HazelcastInstance b = memberWith(cluster, backup);
                if (o != null && b != null && o != b) {
                    return new HazelcastInstance[] {o, b};
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the members did not agree on partition " + partitionId
                        + "'s owner and backup within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // polls cluster state; orders nothing
        }
    }

    private static HazelcastInstance memberWith(TestCluster cluster, UUID uuid) {
        for (HazelcastInstance m : cluster.members) {
            if (m.getCluster().getLocalMember().getUuid().equals(uuid)) {
                return m;
            }
        }
        return null;
    }

    /** The id of the one transaction that holds a reservation in the queue's container on its owner. */
    private static UUID theOnlyTransactionReservingIn(HazelcastInstance owner, String queueName) throws Exception {
        NodeEngine engine = ((HazelcastInstanceProxy) owner).getOriginal().node.getNodeEngine();
        QueueService queues = engine.getService(QueueService.SERVICE_NAME);
        QueueContainer container = queues.getExistingContainerOrNull(queueName);
        Field txMap = QueueContainer.class.getDeclaredField("txMap");
        txMap.setAccessible(true);
        Set<UUID> ids = new HashSet<>();
        for (Object item : ((Map<?, ?>) txMap.get(container)).values()) {
            ids.add(((TxQueueItem) item).getTransactionId());
        }
        assertThat(ids).hasSize(1);
        return ids.iterator().next();
    }

    /** Sends from, from+1, ... up to VALUES; a send that dies (the owner left mid-call) is ambiguous. */
    private static Effect<String, Unit> produceFrom(DistributedChannel<Integer> out, int from, Set<Integer> sent,
                                                    Set<Integer> ambiguous) {
        if (from > VALUES) {
            return Effect.unit();
        }
        return out.sender().<String>send(from).<String>exit().flatMap(exit -> {
            if (exit instanceof Exit.Success) {
                sent.add(from);
            } else {
                ambiguous.add(from);
            }
            return produceFrom(out, from + 1, sent, ambiguous);
        });
    }

    private static Effect<String, Unit> consume(DistributedChannel<Integer> in, Map<Integer, AtomicInteger> handled,
                                                AtomicInteger handledHere, CountDownLatch progress) {
        return in.<String, Unit>recvAcknowledged(Duration.ofSeconds(30), v -> Effect.<String, Unit>sync(() -> {
            handled.computeIfAbsent(v, k -> new AtomicInteger()).incrementAndGet();
            handledHere.incrementAndGet();
            progress.countDown();
            return Unit.UNIT;
        })).flatMap((Result<ChannelError, Unit> r) -> r.isOk()
                ? consume(in, handled, handledHere, progress) : Effect.unit());
    }
}
