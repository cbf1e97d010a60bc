package aivi.concurrency.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's {@code --distributed} mode end to end: two demo processes on this machine form a Hazelcast cluster
 * on 127.0.0.1 and share one job channel; one produces and closes, the workers of both take jobs until the
 * channel is closed and drained, and together they do every job exactly once.
 */
class DistributedDemoTest {
    /** Generous bound for two JVMs, two Hazelcast members and the scene on a slow, busy machine. */
    private static final long RUN_BOUND_SECONDS = 150;
    private static final int JOBS = 30;
    private static final Pattern DID = Pattern.compile("summary: this process did (\\d+) jobs");

    private record Run(int status, String output) {
        int jobsDone() {
            Matcher m = DID.matcher(output);
            assertThat(m.find()).as("a summary line in:%n%s", output).isTrue();
            return Integer.parseInt(m.group(1));
        }
    }

    private static Process start(int port) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "aivi.concurrency.examples.Demo", "--distributed", "--cluster-port", String.valueOf(port),
                "--fast", "--seed", "6", "--workers", "2", "--jobs", String.valueOf(JOBS)));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static CompletableFuture<Run> finish(Process p) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return new Run(p.waitFor(), out);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    @Timeout(RUN_BOUND_SECONDS + 30)
    void twoDemoProcessesShareOneJobChannelAndDoEveryJobOnce() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = Math.min(s.getLocalPort(), 64_000);
        }
        Process first = start(port);
        Process second = start(port);
        try {
            CompletableFuture<Run> a = finish(first);
            CompletableFuture<Run> b = finish(second);
            Run one = a.get(RUN_BOUND_SECONDS, TimeUnit.SECONDS);
            Run two = b.get(RUN_BOUND_SECONDS, TimeUnit.SECONDS);

            assertThat(one.status()).as(one.output()).isZero();
            assertThat(two.status()).as(two.output()).isZero();
            Run producer = one.output().contains("this one is the producer") ? one : two;
            Run worker = producer == one ? two : one;
            assertThat(worker.output()).contains("this one is a worker");
            assertThat(producer.output()).contains("producer: all " + JOBS + " jobs sent; close(jobs)");
            for (Run r : List.of(producer, worker)) {
                assertThat(r.output()).contains("DistributedChannel.open(member, \"aivi-demo-jobs\", 8)",
                        "recv -> Err(CLOSED): channel closed and drained", "scope returned: every worker fiber has ended");
            }
            assertThat(producer.jobsDone() + worker.jobsDone()).as("every job once, across both processes")
                    .isEqualTo(JOBS);
            assertThat(worker.jobsDone()).as("the second process took part").isPositive();
        } finally {
            first.destroyForcibly();
            second.destroyForcibly();
        }
    }
}
