package aivi.concurrency;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class of the tests in a JVM of its own, on the test class path, for faults that would
 * poison the surefire fork (an OutOfMemoryError, a stack overflow during a class's first linkage). Kills the
 * child after {@code timeoutSeconds}, so a child that hangs cannot hang the build.
 */
public final class ForkedJvm {
    private ForkedJvm() {
    }

    /** What the child did: whether it ended within the timeout, its exit value (-1 if not), and its output. */
    public record Result(boolean ended, int exitValue, String output) {
    }

    /** Runs {@code main} with {@code jvmArgs} and waits at most {@code timeoutSeconds}. */
    public static Result run(Class<?> main, long timeoutSeconds, String... jvmArgs) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = p.getInputStream()) {
                in.transferTo(out);
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        try {
            boolean ended = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            reader.join(5_000);
            return new Result(ended, ended ? p.exitValue() : -1, out.toString(StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }
}
