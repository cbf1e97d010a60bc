package aivi.concurrency.hazelcast;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Embedded Hazelcast members in this JVM, joined over TCP on 127.0.0.1 (free ports picked at start, a cluster
 * name of their own), with multicast, auto-detection and phone-home off: no network beyond loopback.
 */
final class TestCluster implements AutoCloseable {
    final List<HazelcastInstance> members = new ArrayList<>();
    final long startMillis;

    private TestCluster(int size) {
        String cluster = "aivi-test-" + UUID.randomUUID();
        List<Integer> ports = freePorts(size);
        long t0 = System.nanoTime();
        for (int i = 0; i < size; i++) {
            members.add(Hazelcast.newHazelcastInstance(config(cluster, "m" + i, ports.get(i), ports)));
        }
        // a member learns of a later joiner a little after the joiner's start returns: wait until all agree
        for (HazelcastInstance m : members) {
            if (!seesAll(m, size)) {
                close();
                throw new IllegalStateException("the test cluster did not form within " + FORM_SECONDS + " s: "
                        + m.getName() + " sees " + m.getCluster().getMembers());
            }
        }
        startMillis = (System.nanoTime() - t0) / 1_000_000;
    }

    private static final long FORM_SECONDS = 60;

    private static boolean seesAll(HazelcastInstance m, int size) {
        CountDownLatch all = new CountDownLatch(1);
        UUID id = m.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                if (e.getMembers().size() >= size) {
                    all.countDown();
                }
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
            }
        });
        try {
            return m.getCluster().getMembers().size() >= size || all.await(FORM_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            m.getCluster().removeMembershipListener(id);
        }
    }

    static TestCluster start(int size) {
        return new TestCluster(size);
    }

    /**
     * Blocks until every member's partition replicas are assigned and in sync (no migration in flight), for tests
     * that read which member holds a partition's backup; fails after {@link #FORM_SECONDS} per member.
     */
    void awaitPartitionsSafe() {
        for (HazelcastInstance m : members) {
            if (!m.getPartitionService().forceLocalMemberToBeSafe(FORM_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("member " + m.getName() + " did not get its partitions safe within "
                        + FORM_SECONDS + " s");
            }
        }
    }

    HazelcastInstance member(int i) {
        return members.get(i);
    }

    static Config config(String cluster, String name, int port, List<Integer> ports) {
        Config c = new Config();
        c.setClusterName(cluster);
        c.setInstanceName(name + "-" + cluster);
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.partition.count", "23");
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(port).setPortAutoIncrement(false);
        n.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig j = n.getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true);
        for (int p : ports) {
            j.getTcpIpConfig().addMember("127.0.0.1:" + p);
        }
        return c;
    }

    static List<Integer> freePorts(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    @Override
    public void close() {
        for (HazelcastInstance m : members) {
            try {
                m.getLifecycleService().terminate();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
    }
}
