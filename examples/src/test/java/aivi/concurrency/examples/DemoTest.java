package aivi.concurrency.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the demo end to end, against its real embedded HTTP server, with fast latencies, and checks each
 * scene's key lines. The orderings checked are the library's guarantees (a loser's finalizer runs before
 * {@code race} returns, every finalizer before {@code cancel} returns), not accidents of timing.
 */
class DemoTest {
    /** Generous bound for one demo run on a slow, busy machine; a fast run takes a few seconds. */
    private static final long RUN_BOUND_SECONDS = 60;

    /** Lines that say scene 5 is busy: both workers run and the producer waits on a full buffer. */
    private static final String[] BUSY_POOL = {"worker 1: started", "worker 2: started", "buffer full"};

    private record Run(int status, String output) {
        List<String> lines() {
            return output.lines().toList();
        }

        int indexOf(String fragment) {
            List<String> lines = lines();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains(fragment)) {
                    return i;
                }
            }
            throw new AssertionError("no line contains '" + fragment + "' in:\n" + output);
        }
    }

    private static Run demo(String... args) {
        OutputWatcher out = new OutputWatcher();
        int status = Demo.run(args, out.printStream(), false);
        return new Run(status, out.text());
    }

    @Test
    @Timeout(RUN_BOUND_SECONDS)
    void everySceneRunsAgainstTheServerAndPrintsItsTimeline() {
        Run run = demo("--fast", "--seed", "6", "--workers", "3", "--jobs", "12");
        String out = run.output();

        assertThat(run.status()).as(out).isZero();
        assertThat(out).contains("server on http://127.0.0.1:", "warm-up: GET /health -> 200");

        // 1 par
        assertThat(out).contains("== Scene 1: par", "GET /api/users -> 200", "GET /api/orders -> 200",
                "par done in");
        assertThat(run.indexOf("par done in")).isGreaterThan(run.indexOf("GET /api/users -> 200"))
                .isGreaterThan(run.indexOf("GET /api/orders -> 200"));

        // 2 race: the loser is cancelled, and its finalizer has run before race returns
        assertThat(out).contains("== Scene 2: race", "(winner)", "cancelled (the loser)");
        int raceReturned = run.indexOf("race returned:");
        assertThat(run.indexOf("cancelled (the loser)")).isLessThan(raceReturned);
        assertThat(run.lines().subList(run.indexOf("== Scene 2"), raceReturned))
                .filteredOn(l -> l.contains("finalizer ran, connection released")).hasSize(2);

        // 3 timeoutWith: the slow request is cancelled, then the typed error is handled
        assertThat(out).contains("timeoutWith(160 ms, Timeout, GET /api/users)", "users: ",
                "report: typed error Timeout[endpoint=/api/report, limitMs=160] handled");
        assertThat(run.indexOf("GET /api/report: cancelled by the timeout"))
                .isLessThan(run.indexOf("report: typed error Timeout"));

        // 4 retry: seed 6 makes the flaky endpoint fail three times, then answer
        assertThat(out).contains("attempt 1: GET /api/flaky",
                "attempt 1 failed with HttpStatus[endpoint=/api/flaky, status=503]; retrying in",
                "attempt 3 failed with", "attempt 4: 200", "succeeded on attempt 4");

        // 5 worker pool: backpressure, close, drain, every worker sees Err(CLOSED), a summary
        assertThat(out).contains("makeBounded(3): 3 workers in a scope, 12 jobs", "close(jobs)",
                "progress [##############################] 12/12 (100%)", "summary: 12 jobs in",
                "backpressure: the producer waited", "scope returned: every worker fiber has ended");
        for (int w = 1; w <= 3; w++) {
            assertThat(out).contains("worker " + w + ": recv -> Err(CLOSED)");
        }
        assertThat(run.indexOf("summary: 12 jobs")).isGreaterThan(run.indexOf("close(jobs)"));

        // 6 cancellation: every finalizer reports, inner before outer, all before cancel returns
        int cancelReturned = run.indexOf("cancel returned after 6 finalizers ran; isCancelled() = true");
        for (String finalizer : List.of("finalizer: scope body", "finalizer: download 1: release",
                "finalizer: download 2: release", "finalizer: download 3a", "finalizer: download 3b",
                "finalizer: download 3: release")) {
            assertThat(run.indexOf(finalizer)).as(finalizer).isLessThan(cancelReturned)
                    .isGreaterThan(run.indexOf("every download is mid-flight"));
        }
        // ... and prints the fiber dump before cancelling: the scope tree of the named fibers
        int dump = run.indexOf("the runtime's fiber dump (EffectRuntime.dump()):");
        assertThat(dump).isPositive().isLessThan(run.indexOf("cancelling the task that runs the scope"));
        assertThat(out).contains("downloads [waiting: scope on Scope[3 children] for ", "download-1 [",
                "download-2 [", "download-3 [", "download-3b [");
        assertThat(indentOf(out, "download-3b [")).isGreaterThan(indentOf(out, "download-3 ["));
        assertThat(indentOf(out, "download-1 [")).isGreaterThan(indentOf(out, "downloads ["));
        assertThat(run.indexOf("finalizer: download 3a")).isLessThan(run.indexOf("finalizer: download 3: release"));
        assertThat(run.indexOf("finalizer: download 3b")).isLessThan(run.indexOf("finalizer: download 3: release"));

        assertThat(run.indexOf("all scenes done in")).isLessThan(run.indexOf("server stopped"));
    }

    @Test
    @Timeout(RUN_BOUND_SECONDS)
    void retryGivesUpWithTheLastTypedErrorWhenEveryAttemptFails() {
        Run run = demo("--fast", "--scenes", "4", "--failure-rate", "1");

        assertThat(run.status()).as(run.output()).isZero();
        assertThat(run.output()).contains("attempt 6: GET /api/flaky",
                "gave up after 6 attempts: HttpStatus[endpoint=/api/flaky, status=503]")
                .doesNotContain("attempt 6 failed with", "attempt 7");
    }

    @Test
    void helpPrintsTheOptions() {
        Run run = demo("--help");

        assertThat(run.status()).isZero();
        assertThat(run.output()).contains("--workers N", "--jobs N", "--scenes LIST", "--seed N", "--fast",
                "Ctrl-C");
    }

    @Test
    void aBadOptionIsAUsageErrorThatSaysWhatWasWrong() {
        assertThat(demo("--scenes", "1,9")).satisfies(run -> {
            assertThat(run.status()).isEqualTo(Demo.USAGE_ERROR);
            assertThat(run.output()).contains("--scenes: there is no scene 9", "Usage:");
        });
        assertThat(demo("--workers", "zero").output()).contains("--workers needs a whole number, was 'zero'");
        assertThat(demo("--bogus").output()).contains("unknown option: --bogus");
    }

    /** The indentation of the dump line that contains {@code what}, after the "| " of the scene's output. */
    private static int indentOf(String out, String what) {
        String line = out.lines().filter(l -> l.contains("| ") && l.contains(what)).findFirst().orElseThrow();
        String after = line.substring(line.indexOf("| ") + 2);
        return after.length() - after.stripLeading().length();
    }

    @Test
    @Timeout(RUN_BOUND_SECONDS)
    void interruptingTheRunCancelsTheRunningSceneRunsItsFinalizersAndStopsTheServer() throws Exception {
        OutputWatcher out = new OutputWatcher(BUSY_POOL);
        AtomicInteger status = new AtomicInteger(-1);
        CountDownLatch done = new CountDownLatch(1);
        Thread main = Thread.ofPlatform().name("demo-main").start(() -> {
            status.set(Demo.run(new String[] {"--fast", "--scenes", "5", "--workers", "2", "--jobs", "100000"},
                    out.printStream(), false));
            done.countDown();
        });

        assertThat(out.awaitMarkers(RUN_BOUND_SECONDS)).as(out.text()).isTrue();
        main.interrupt(); // what the Ctrl-C hook does

        assertThat(done.await(RUN_BOUND_SECONDS, TimeUnit.SECONDS)).as(out.text()).isTrue();
        String text = out.text();
        assertThat(status.get()).as(text).isEqualTo(Demo.INTERRUPTED);
        assertThat(text).contains("worker 1: cancelled", "worker 2: cancelled",
                "producer: cancelled after sending", "interrupted (Ctrl-C)", "server stopped")
                .doesNotContain("summary:");
        assertThat(text.indexOf("worker 1: cancelled")).isLessThan(text.indexOf("interrupted (Ctrl-C)"));
    }

    /**
     * Ctrl-C on a real process: SIGINT runs the JVM's shutdown hooks, the demo's hook cancels the running
     * scene, and the process exits with 130. Linux only (it reads the signal mask from /proc and sends the
     * signal with kill); skipped where SIGINT is ignored, as in a background job of a non-interactive shell.
     */
    @Test
    @Timeout(RUN_BOUND_SECONDS)
    void ctrlCOnTheRealProcessCancelsTheSceneAndExitsWith130() throws Exception {
        assumeTrue(sigintIsHandled(), "SIGINT is ignored by this process and so by its children");
        String classPath = Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + File.pathSeparator
                + Path.of(aivi.concurrency.Effect.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process demo = new ProcessBuilder(java, "-cp", classPath, Demo.class.getName(),
                "--fast", "--scenes", "5", "--workers", "2", "--jobs", "100000")
                .redirectErrorStream(true)
                .start();
        try {
            OutputWatcher out = new OutputWatcher(BUSY_POOL);
            Thread reader = Thread.ofVirtual().start(() -> {
                try (var in = demo.getInputStream()) {
                    in.transferTo(out);
                } catch (java.io.IOException ignored) {
                    // the process ended
                }
            });
            assertThat(out.awaitMarkers(RUN_BOUND_SECONDS)).as(out.text()).isTrue();

            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).inheritIO().start();
            assertThat(kill.waitFor()).isZero();

            assertThat(demo.waitFor(RUN_BOUND_SECONDS, TimeUnit.SECONDS)).as(out.text()).isTrue();
            reader.join();
            assertThat(demo.exitValue()).as(out.text()).isEqualTo(130);
            assertThat(out.text()).contains("worker 1: cancelled", "worker 2: cancelled", "interrupted (Ctrl-C)",
                    "server stopped");
        } finally {
            demo.destroyForcibly();
        }
    }

    /** Whether SIGINT (signal 2) is not in this process's ignored-signal mask (Linux /proc). */
    private static boolean sigintIsHandled() throws java.io.IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                long ignored = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (ignored & (1L << (2 - 1))) == 0;
            }
        }
        return false;
    }
}
