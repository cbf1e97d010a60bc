package aivi.concurrency.examples;

import aivi.concurrency.EffectRuntime;
import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.RuntimeConfig;
import aivi.concurrency.Unit;
import aivi.concurrency.hazelcast.DistributedChannel;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The demo's {@code --distributed} mode: scene 5's worker pool on one job channel shared by several demo
 * processes on this machine. Each process starts an embedded Hazelcast member on 127.0.0.1 (TCP join on the
 * ports from {@code --cluster-port} up; multicast and phone-home off) and opens the same
 * {@link DistributedChannel}. The oldest member produces the jobs and closes the channel; the workers of every
 * process take jobs from it until they see {@code Err(CLOSED)}. The worker code is scene 5's, unchanged: it
 * only sees a {@code Receiver<Integer>}.
 *
 * <pre>java -jar examples/target/aivi-demo.jar --distributed   (in two terminals)</pre>
 */
final class DistributedDemo {
    static final String FLAG = "--distributed";
    static final String CHANNEL = "aivi-demo-jobs";
    static final int CAPACITY = 8;
    private static final int DEFAULT_PORT = 5801;
    private static final long JOIN_TIMEOUT_SECONDS = 120;

    static final String USAGE = """
            Distributed mode (scene 5 across processes):
              --distributed      share scene 5's job channel with other demo processes on this machine;
                                 start the same command in a second terminal
              --members N        how many demo processes take part (default 2)
              --cluster-port N   the first port of the processes' cluster on 127.0.0.1 (default 5801)
            """;

    private DistributedDemo() {
    }

    private record Settings(int members, int port, String[] rest) {
    }

    private static Settings parse(String[] args) {
        int members = 2;
        int port = DEFAULT_PORT;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case FLAG -> { }
                case "--members", "--cluster-port" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(a + " needs a value");
                    }
                    int n = number(a, args[++i]);
                    if (a.equals("--members")) {
                        if (n < 1 || n > 9) {
                            throw new IllegalArgumentException("--members must be between 1 and 9, was " + n);
                        }
                        members = n;
                    } else {
                        if (n < 1024 || n > 65_000) {
                            throw new IllegalArgumentException("--cluster-port must be between 1024 and 65000, was " + n);
                        }
                        port = n;
                    }
                }
                case "--scenes" -> throw new IllegalArgumentException("--distributed runs scene 5 only;"
                        + " leave out --scenes");
                default -> rest.add(a);
            }
        }
        rest.add("--scenes");
        rest.add("5");
        return new Settings(members, port, rest.toArray(String[]::new));
    }

    private static int number(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a whole number, was '" + value + "'");
        }
    }

    /** Runs the distributed mode on the calling thread; returns the exit status, as {@link Demo#run}. */
    static int run(String[] args, PrintStream out, boolean live) {
        Settings settings;
        Options options;
        try {
            settings = parse(args);
            options = Options.parse(settings.rest());
        } catch (IllegalArgumentException e) {
            out.println("aivi-demo: " + e.getMessage());
            out.println();
            out.print(Options.USAGE);
            out.print(USAGE);
            return Demo.USAGE_ERROR;
        }
        if (options.help()) {
            out.print(Options.USAGE);
            out.print(USAGE);
            return 0;
        }
        Terminal terminal = new Terminal(out, live);
        long start = System.nanoTime();
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config(settings));
        try {
            terminal.line("aivi.concurrency demo, distributed: member " + member.getCluster().getLocalMember()
                    .getAddress() + " up in " + (System.nanoTime() - start) / 1_000_000 + " ms; waiting for "
                    + settings.members() + " demo processes (start the same command in another terminal)");
            if (!awaitMembers(member, settings.members())) {
                terminal.line("aivi-demo: fewer than " + settings.members() + " demo processes joined within "
                        + JOIN_TIMEOUT_SECONDS + " s; start another with: java -jar examples/target/aivi-demo.jar"
                        + " --distributed");
                return 1;
            }
            boolean producer = member.getCluster().getMembers().iterator().next().localMember();
            DistributedChannel<Integer> jobs = DistributedChannel.open(member, CHANNEL, CAPACITY);
            IMap<UUID, String> ready = member.getMap("aivi-demo.ready");
            ready.put(member.getCluster().getLocalMember().getUuid(), producer ? "producer" : "worker");
            if (producer && !awaitReady(ready, settings.members())) {
                terminal.line("aivi-demo: the other demo processes did not open the channel within "
                        + JOIN_TIMEOUT_SECONDS + " s");
                return 1;
            }
            terminal.line("cluster of " + member.getCluster().getMembers().size() + " processes; this one is "
                    + (producer ? "the producer (the oldest member) and works too" : "a worker"));
            return runScene(options, out, terminal, jobs, producer, settings.members(), start);
        } finally {
            member.shutdown();
        }
    }

    private static int runScene(Options options, PrintStream out, Terminal terminal, DistributedChannel<Integer> jobs,
                                boolean producer, int members, long start) {
        int status;
        boolean interrupted;
        try (DemoServer server = DemoServer.start(Endpoints.all(options), options.seed());
             HttpApi api = new HttpApi(server.baseUri());
             EffectRuntime runtime = EffectRuntime.create(RuntimeConfig.defaults().withFiberNamePrefix("demo-fiber-"))) {
            terminal.line("server on " + server.baseUri() + ", seed " + options.seed()
                    + (options.fast() ? ", fast" : ""));
            SceneContext ctx = new SceneContext(api, server, terminal, options, runtime);
            terminal.line("");
            terminal.line("== Scene 5, distributed: one job channel shared by " + members + " processes ==");
            Exit<ApiError, Unit> exit = runtime.run(WorkerPoolScene.run(ctx,
                    Effect.succeed(new aivi.concurrency.Pair<>(jobs.sender(), jobs.receiver())), CAPACITY,
                    producer, true, "DistributedChannel.open(member, \"" + CHANNEL + "\", " + CAPACITY + ")"));
            interrupted = Thread.interrupted();
            terminal.clearStatus();
            status = switch (exit) {
                case Exit.Success<ApiError, Unit> done -> {
                    terminal.line("");
                    terminal.line("distributed scene done in " + (System.nanoTime() - start) / 1_000_000 + " ms");
                    yield 0;
                }
                case Exit.Failure<ApiError, Unit>(ApiError error) -> {
                    terminal.line("the scene failed with " + error);
                    yield 1;
                }
                case Exit.Defect<ApiError, Unit>(Throwable bug) -> {
                    terminal.line("the scene died with a defect: " + bug);
                    bug.printStackTrace(out);
                    yield 1;
                }
                case Exit.Cancelled<ApiError, Unit> cancelled -> {
                    terminal.line("");
                    terminal.line("interrupted (Ctrl-C): the scene was cancelled and its finalizers ran");
                    yield Demo.INTERRUPTED;
                }
            };
        } catch (IOException e) {
            terminal.line("aivi-demo: cannot start the HTTP server on 127.0.0.1: " + e);
            return 1;
        }
        terminal.line("server stopped");
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return status;
    }

    private static Config config(Settings settings) {
        Config c = new Config();
        c.setClusterName("aivi-demo-" + settings.port());
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "none");
        c.setProperty("hazelcast.shutdownhook.enabled", "false"); // Ctrl-C cancels the scene first, then shuts down
        c.setProperty("hazelcast.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(settings.members() + 8);
        n.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig j = n.getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true);
        for (int p = settings.port(); p < settings.port() + settings.members() + 8; p++) {
            j.getTcpIpConfig().addMember("127.0.0.1:" + p);
        }
        return c;
    }

    private static boolean awaitMembers(HazelcastInstance member, int members) {
        CountDownLatch enough = new CountDownLatch(1);
        member.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                if (e.getMembers().size() >= members) {
                    enough.countDown();
                }
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
            }
        });
        if (member.getCluster().getMembers().size() >= members) {
            return true;
        }
        return await(enough);
    }

    private static boolean awaitReady(IMap<UUID, String> ready, int members) {
        CountDownLatch enough = new CountDownLatch(1);
        ready.addEntryListener((EntryAddedListener<UUID, String>) e -> {
            if (ready.size() >= members) {
                enough.countDown();
            }
        }, false);
        if (ready.size() >= members) {
            return true;
        }
        return await(enough);
    }

    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
