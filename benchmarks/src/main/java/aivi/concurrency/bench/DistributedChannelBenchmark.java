package aivi.concurrency.bench;

import aivi.concurrency.ChannelError;
import aivi.concurrency.Effect;
import aivi.concurrency.Receiver;
import aivi.concurrency.Result;
import aivi.concurrency.Sender;
import aivi.concurrency.Unit;
import aivi.concurrency.hazelcast.DistributedChannel;
import com.hazelcast.cluster.Member;
import com.hazelcast.collection.IQueue;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.QueueConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A distributed channel against the raw Hazelcast queue it is made of, 1 producer to 1 consumer, on two
 * embedded members in this JVM joined over loopback. Both sides use a queue with the same settings (max-size
 * {@link #CAPACITY}, one synchronous backup); the producer runs on member A and the consumer on member B,
 * each on a virtual thread started per invocation, and the score is microseconds per transferred element.
 * Both queues live on one partition, owned by the member the {@code owner} parameter names.
 *
 * <ul>
 *   <li>{@code raw_putTake}: {@code IQueue.put} on A, {@code IQueue.take} on B (not cancellable: the floor);</li>
 *   <li>{@code raw_timedOfferPoll}: the same with the calls the channel makes, loops of {@code offer} and
 *       {@code poll} with a 50 ms timeout, so that the channel's own cost can be told from the cost of
 *       Hazelcast's timed calls;</li>
 *   <li>{@code channel_sendRecv}: {@code Sender.send} on A and {@code Receiver.recv} on B, each a loop of
 *       effects in one fiber, as a worker pool writes it (cancellable waits in 50 ms slices, close
 *       protocol).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 8, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED"})
public class DistributedChannelBenchmark {

    static final int ELEMENTS = 2_000;
    static final int CAPACITY = 16;
    /** The channel's slice: each of its waits is a loop of Hazelcast calls this long (QueueBackend.SLICE_MILLIS). */
    static final long SLICE_MILLIS = 50;
    /** The name of the Hazelcast queue under a channel is this and the channel's name (DistributedChannel's naming). */
    static final String CHANNEL_QUEUE_PREFIX = "aivi.concurrency.channel.";

    /** Which member owns the partition both queues live on: the producer's (A) or the consumer's (B). */
    @Param({"producer", "consumer"})
    public String owner;

    private HazelcastInstance a;
    private HazelcastInstance b;
    private IQueue<Integer> rawOut;
    private IQueue<Integer> rawIn;
    private Sender<Integer> out;
    private Receiver<Integer> in;

    @Setup
    public void startTwoMembers() throws IOException {
        String cluster = "aivi-bench-" + UUID.randomUUID();
        int portA;
        int portB;
        try (ServerSocket s1 = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket s2 = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            portA = s1.getLocalPort();
            portB = s2.getLocalPort();
        }
        long t0 = System.nanoTime();
        a = Hazelcast.newHazelcastInstance(config(cluster, portA, portA, portB));
        b = Hazelcast.newHazelcastInstance(config(cluster, portB, portA, portB));
        System.out.printf("%n2 members formed a cluster in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        // Which member owns a queue's partition decides the network hops of every put and take, and it depends
        // on the members' random ids. So the channel's name is chosen to put its queue on a partition owned by
        // the member the `owner` parameter names, and the raw queue is put on the same partition ("name@key"
        // places an object on key's partition; its config is looked up by the part before '@').
        Member wanted = (switch (owner) {
            case "producer" -> a;
            case "consumer" -> b;
            default -> throw new IllegalArgumentException("owner must be producer or consumer, was '" + owner + "'");
        }).getCluster().getLocalMember();
        String channel = null;
        for (int i = 0; channel == null; i++) {
            String candidate = "bench-" + i;
            if (a.getPartitionService().getPartition(CHANNEL_QUEUE_PREFIX + candidate).getOwner().equals(wanted)) {
                channel = candidate;
            }
        }
        String channelQueue = CHANNEL_QUEUE_PREFIX + channel;
        a.getConfig().addQueueConfig(new QueueConfig("raw").setMaxSize(CAPACITY).setBackupCount(1)
                .setAsyncBackupCount(0));
        rawOut = a.getQueue("raw@" + channelQueue);
        rawIn = b.getQueue("raw@" + channelQueue);
        out = DistributedChannel.<Integer>open(a, channel, CAPACITY).sender();
        in = DistributedChannel.<Integer>open(b, channel, CAPACITY).receiver();
        IQueue<Object> underChannel = a.getQueue(channelQueue);
        int rawPartition = a.getPartitionService().getPartition(rawOut.getPartitionKey()).getPartitionId();
        var channelPartition = a.getPartitionService().getPartition(underChannel.getPartitionKey());
        if (rawPartition != channelPartition.getPartitionId() || !channelPartition.getOwner().equals(wanted)) {
            throw new IllegalStateException("the raw queue is on partition " + rawPartition + ", the channel's on "
                    + channelPartition.getPartitionId() + " owned by " + channelPartition.getOwner());
        }
        if (a.getDistributedObjects().stream().noneMatch(o -> o.getName().equals(channelQueue))) {
            throw new IllegalStateException("no queue named " + channelQueue + " under the channel " + channel);
        }
        for (int i = 0; i < CAPACITY; i++) {
            rawOut.offer(i);
        }
        if (rawOut.offer(CAPACITY)) {
            throw new IllegalStateException("the raw queue did not get max-size " + CAPACITY);
        }
        rawOut.clear();
        System.out.printf("both queues on partition %d, owned by the %s's member%n", rawPartition, owner);
    }

    private static Config config(String cluster, int port, int... members) {
        Config c = new Config();
        c.setClusterName(cluster);
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "none");
        c.setProperty("hazelcast.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(port).setPortAutoIncrement(false);
        n.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig j = n.getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true);
        for (int p : members) {
            j.getTcpIpConfig().addMember("127.0.0.1:" + p);
        }
        return c;
    }

    @TearDown
    public void stopTheMembers() {
        b.getLifecycleService().terminate();
        a.getLifecycleService().terminate();
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public void raw_putTake() throws Exception {
        VirtualThreads vt = new VirtualThreads();
        vt.start(() -> {
            for (int i = 0; i < ELEMENTS; i++) {
                rawOut.put(i);
            }
        });
        vt.start(() -> {
            long sum = 0;
            for (int i = 0; i < ELEMENTS; i++) {
                sum += rawIn.take();
            }
            check(sum);
        });
        vt.joinAll();
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public void raw_timedOfferPoll() throws Exception {
        VirtualThreads vt = new VirtualThreads();
        vt.start(() -> {
            for (int i = 0; i < ELEMENTS; ) {
                if (rawOut.offer(i, SLICE_MILLIS, TimeUnit.MILLISECONDS)) {
                    i++;
                }
            }
        });
        vt.start(() -> {
            long sum = 0;
            for (int i = 0; i < ELEMENTS; ) {
                Integer v = rawIn.poll(SLICE_MILLIS, TimeUnit.MILLISECONDS);
                if (v != null) {
                    sum += v;
                    i++;
                }
            }
            check(sum);
        });
        vt.joinAll();
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public void channel_sendRecv() throws Exception {
        VirtualThreads vt = new VirtualThreads();
        vt.start(() -> sendFrom(0).runOrThrow());
        vt.start(() -> check(recvFrom(0, 0).runOrThrow()));
        vt.joinAll();
    }

    private Effect<String, Unit> sendFrom(int i) {
        return i == ELEMENTS ? Effect.unit() : out.<String>send(i).then(Effect.suspend(() -> sendFrom(i + 1)));
    }

    private Effect<String, Long> recvFrom(int i, long sum) {
        return i == ELEMENTS ? Effect.succeed(sum) : in.<String>recv().flatMap(r ->
                r instanceof Result.Ok<ChannelError, Integer>(Integer v)
                        ? recvFrom(i + 1, sum + v) : Effect.fail("closed early"));
    }

    private static void check(long sum) {
        if (sum != (long) ELEMENTS * (ELEMENTS - 1) / 2) {
            throw new AssertionError("lost or duplicated values: sum " + sum);
        }
    }
}
