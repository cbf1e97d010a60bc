package aivi.concurrency.examples;

import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.EffectRuntime;
import aivi.concurrency.RuntimeConfig;
import aivi.concurrency.Unit;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The aivi.concurrency demo: starts an embedded HTTP server on a free loopback port, then runs the scenes
 * against it with real HTTP calls, each printed as a timeline in milliseconds.
 *
 * <pre>java -jar examples/target/aivi-demo.jar [--workers N] [--jobs N] [--scenes 1,2,5] [--seed N] [--fast]</pre>
 *
 * <p>All scenes run as one effect on one {@link EffectRuntime}, called from the main thread. Ctrl-C starts the
 * JVM's shutdown; a shutdown hook interrupts the main thread, which is waiting in {@link EffectRuntime#run}, so the
 * root fiber is cancelled: the running scene's finalizers run, then the server stops, and the JVM exits with
 * status 130 (128 + SIGINT).
 */
public final class Demo {
    /** Exit status for a bad command line. */
    static final int USAGE_ERROR = 2;
    /** Exit status after Ctrl-C, as shells report a process ended by SIGINT. */
    static final int INTERRUPTED = 130;

    private Demo() {
    }

    private record Scene(int number, String title, Function<SceneContext, Effect<ApiError, Unit>> run) {
    }

    private static final List<Scene> SCENES = List.of(
            new Scene(1, "par: fetch two APIs in parallel", ParScene::run),
            new Scene(2, "race: two mirrors, the loser is cancelled", RaceScene::run),
            new Scene(3, "timeoutWith: a slow endpoint, a typed timeout error", TimeoutScene::run),
            new Scene(4, "retry: a flaky endpoint, exponential backoff with jitter", RetryScene::run),
            new Scene(5, "worker pool: a scope, a bounded channel, backpressure, close and drain",
                    WorkerPoolScene::run),
            new Scene(6, "cancellation: a scope cancelled mid-flight, every finalizer runs", CancelScene::run));

    /**
     * Runs the demo, then exits with its status. Ctrl-C cancels the running scene and exits with 130.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        Thread main = Thread.currentThread();
        CountDownLatch finished = new CountDownLatch(1);
        Thread onCtrlC = new Thread(() -> {
            if (finished.getCount() == 0) {
                return; // a normal exit
            }
            main.interrupt(); // cancels the root fiber of EffectRuntime.run
            try {
                finished.await(30, TimeUnit.SECONDS); // finalizers run, the server stops
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-ctrl-c");
        java.lang.Runtime.getRuntime().addShutdownHook(onCtrlC);
        int status;
        try {
            status = run(args, System.out, isTerminal());
        } finally {
            finished.countDown();
        }
        if (status == INTERRUPTED) {
            return; // the JVM is already shutting down (with 130 after SIGINT); System.exit would wait forever
        }
        System.exit(status);
    }

    /**
     * Runs the demo on the calling thread and returns its exit status: 0, {@link #USAGE_ERROR}, 1 if a scene
     * failed unexpectedly, or {@link #INTERRUPTED} if the calling thread was interrupted (the running scene is
     * then cancelled and its finalizers have run).
     *
     * @param args the options
     * @param out  where to print
     * @param live whether {@code out} is a terminal (a live progress bar) or not (plain lines)
     * @return the exit status
     */
    static int run(String[] args, PrintStream out, boolean live) {
        if (List.of(args).contains("--distributed")) {
            // only then is DistributedDemo loaded: the one-process demo runs without Hazelcast on the class path
            return DistributedDemo.run(args, out, live);
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            out.println("aivi-demo: " + e.getMessage());
            out.println();
            out.print(Options.USAGE);
            return USAGE_ERROR;
        }
        if (options.help()) {
            out.print(Options.USAGE);
            return 0;
        }
        Terminal terminal = new Terminal(out, live);
        long start = System.nanoTime();
        int status;
        boolean interrupted;
        try (DemoServer server = DemoServer.start(Endpoints.all(options), options.seed());
             HttpApi api = new HttpApi(server.baseUri());
             EffectRuntime runtime = EffectRuntime.create(RuntimeConfig.defaults().withFiberNamePrefix("demo-fiber-"))) {
            terminal.line("aivi.concurrency demo: server on " + server.baseUri() + ", seed " + options.seed()
                    + (options.fast() ? ", fast" : "") + "; scenes " + options.scenes());
            SceneContext ctx = new SceneContext(api, server, terminal, options, runtime);
            Exit<ApiError, Unit> exit = runtime.run(program(ctx));
            interrupted = Thread.interrupted(); // clear it, so closing the server and client is not disturbed
            terminal.clearStatus();
            status = switch (exit) {
                case Exit.Success<ApiError, Unit> done -> {
                    terminal.line("");
                    terminal.line("all scenes done in " + (System.nanoTime() - start) / 1_000_000 + " ms");
                    yield 0;
                }
                case Exit.Failure<ApiError, Unit>(ApiError error) -> {
                    terminal.line("a scene failed with " + error);
                    yield 1;
                }
                case Exit.Defect<ApiError, Unit>(Throwable bug) -> {
                    terminal.line("a scene died with a defect: " + bug);
                    bug.printStackTrace(out);
                    yield 1;
                }
                case Exit.Cancelled<ApiError, Unit> cancelled -> {
                    terminal.line("");
                    terminal.line("interrupted (Ctrl-C): the running scene was cancelled and its finalizers ran");
                    yield INTERRUPTED;
                }
            };
        } catch (IOException e) {
            out.println("aivi-demo: cannot start the HTTP server on 127.0.0.1: " + e);
            return 1;
        }
        out.println("server stopped");
        out.flush();
        if (interrupted) {
            Thread.currentThread().interrupt(); // keep the caller's interrupt status, as EffectRuntime.run does
        }
        return status;
    }

    /** A warm-up request (loads the HTTP stack, so scene 1's timings are honest), then the chosen scenes. */
    private static Effect<ApiError, Unit> program(SceneContext ctx) {
        Timeline warmUp = new Timeline(ctx.terminal());
        Effect<ApiError, Unit> program = ctx.api().get("/health")
                .flatMap(r -> warmUp.log("warm-up: GET /health -> " + r.status() + " in " + r.elapsedMs() + " ms"));
        for (int number : ctx.options().scenes()) {
            Scene scene = SCENES.get(number - 1);
            program = program
                    .then(Effect.sync(() -> {
                        ctx.terminal().line("");
                        ctx.terminal().line("== Scene " + scene.number() + ": " + scene.title() + " ==");
                        return Unit.UNIT;
                    }))
                    .then(Effect.suspend(() -> scene.run().apply(ctx))); // the scene's clock starts now
        }
        return program;
    }

    /** Whether standard output is an interactive terminal (then scene 5 draws a live progress bar). */
    static boolean isTerminal() {
        Console console = System.console();
        if (console == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            // JDK 22+ returns a Console even when output is redirected; isTerminal() tells the truth there.
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException jdk21) {
            return true; // on JDK 21, a console exists only for a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
