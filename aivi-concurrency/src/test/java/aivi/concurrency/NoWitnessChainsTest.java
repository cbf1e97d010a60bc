package aivi.concurrency;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ordinary chains that must compile without a single type witness, under {@code -Xlint:all -Werror}: the
 * idioms the README promises. A second part pins down what Java cannot infer (a method with a free error
 * type used as the receiver of a chain), so the README's explanation of the remaining cases stays true.
 */
class NoWitnessChainsTest {

    private static final String HEADER = """
            import aivi.concurrency.*;
            import static aivi.concurrency.Concurrency.*;
            import java.time.Duration;
            import java.util.List;

            @SuppressWarnings("unused")
            class %s {
                sealed interface JobError permits Timeout, Crash {}
                record Timeout() implements JobError {}
                record Crash(String why) implements JobError {}

                static Effect<JobError, Integer> job(int n) {
                    return Effect.succeed(n);
                }

                void chains(Sender<Integer> out, Receiver<Integer> in, Task<JobError, Integer> task) {
            %s
                }
            }
            """;

    /** Every line compiles: the free error type is inferred from the target or from an argument. */
    private static final String CHAINS = """
            // Task: the lambda's or method reference's result is the argument position of flatMap
            Effect<JobError, Integer> joined = spawn(job(1)).flatMap(Task::join);
            Effect<JobError, Exit<JobError, Integer>> awaited = spawn(job(1)).flatMap(Task::await);
            Effect<JobError, Exit<JobError, Integer>> awaitedLambda = spawn(job(1)).flatMap(t -> t.await());
            Effect<JobError, Unit> cancelled = spawn(job(1)).flatMap(t -> t.cancel());
            Effect<JobError, Boolean> wasCancelled = spawn(job(1)).flatMap(Task::isCancelled);
            // channels: the handle's effect is an argument (then, flatMap, tap) or assigned to a typed variable
            Effect<JobError, Unit> sent = job(1).flatMap(out::send);
            Effect<JobError, Unit> sentLambda = job(1).flatMap(n -> out.send(n));
            Effect<JobError, Result<ChannelError, Integer>> received = job(1).then(in.recv());
            Effect<JobError, Unit> first = out.send(1);
            Effect<JobError, Unit> produced = first.then(out.send(2)).then(out.close());
            Effect<JobError, Integer> logged = job(1).tap(out::send);
            Effect<JobError, Integer> summed = in.fold(0, Integer::sum);
            Effect<JobError, Unit> each = in.forEach(v -> job(v));
            Effect<JobError, Unit> eachPar = forEachPar(in, 4, v -> job(v));
            Effect<JobError, List<Integer>> mapped = mapPar(in, 4, v -> job(v));
            Effect<JobError, Unit> closing = closeWhenDone(out, List.of(out.send(1), out.send(2)));
            // outcomes: exit and fold assigned, or as arguments of par/parAll
            Effect<JobError, Exit<JobError, Integer>> exited = job(1).exit();
            Effect<JobError, String> folded = job(1).fold(e -> "error", v -> "value " + v);
            Effect<JobError, List<Exit<JobError, Integer>>> exits = parAll(List.of(job(1).exit(), job(2).exit()));
            Effect<JobError, String> three = par(job(1), job(2), job(3), (a, b, c) -> a + "," + b + "," + c);
            // time: factories as arguments
            Effect<JobError, Integer> slept = job(1).zipLeft(sleep(Duration.ofMillis(10)));
            Effect<JobError, Integer> timed = timeoutWith(Duration.ofSeconds(1), new Timeout(), job(1));
            Effect<JobError, Integer> repeated = repeat(Schedule.fixedDelay(Duration.ofMillis(10)).maxAttempts(3), job(1));
            Effect<JobError, Integer> recovered = job(1).catchAll(e -> job(0));
            Effect<JobError, Integer> limited = Permits.of(2).withPermit(job(1));
            // direct style: d.await(...) is an argument, so everything is inferred
            Effect<JobError, Integer> direct = Effect.gen(d -> {
                Task<JobError, Integer> t = d.await(spawn(job(1)));
                Exit<JobError, Integer> ex = d.await(t.await());
                d.await(out.send(1));
                d.await(t.cancel());
                d.await(sleep(10));
                Result<ChannelError, Integer> r = d.await(in.recv());
                String s = d.await(job(2).fold(e -> "e", v -> "v"));
                Exit<JobError, Integer> ex2 = d.await(job(3).exit());
                return ex.getOrElse(0) + r.orElse(0) + s.length() + ex2.getOrElse(0);
            });
            // a receiver-position chain with the error type fixed once
            Effects<JobError> fx = Effects.of(JobError.class);
            Effect<JobError, String> viaFx = fx.exit(job(1)).map(Exit::toString);
            Effect<JobError, String> awaitedFx = fx.await(task).map(Exit::toString);
            Effect<JobError, Integer> recvFx = fx.recv(in).map(r -> r.orElse(0));
            Effect<JobError, String> foldFx = fx.fold(job(1), e -> "e", v -> "v").map(String::trim);
            Effect<JobError, Unit> sendsFx = fx.send(out, 1).then(out.send(2));
            """;

    /**
     * Each line fails alone: a free error type in the receiver position of a chain is inferred as
     * {@code Object}. The README lists these and their fixes.
     */
    private static final List<String> RECEIVER_POSITION = List.of(
            "Effect<JobError, String> r = job(1).exit().map(Exit::toString);",
            "Effect<JobError, String> r = task.await().map(Exit::toString);",
            "Effect<JobError, Unit> r = out.send(1).then(out.send(2));",
            "Effect<JobError, Integer> r = in.recv().map(x -> x.orElse(0));",
            "Effect<JobError, String> r = job(1).fold(e -> \"e\", v -> \"v\").map(String::trim);",
            "Effect<JobError, String> r = sleep(10).as(\"x\");");

    @Test
    void ordinaryChainsCompileWithoutWitnessesAndTheReceiverPositionStillInfersObject() throws IOException {
        // One javac run (javac is slow to start): file 0 must be clean under -Xlint:all -Werror, and each
        // other file holds one receiver-position line that must fail; javac reports the errors of every file.
        List<String> sources = new ArrayList<>();
        sources.add(HEADER.formatted("Chains0", CHAINS.indent(8)));
        for (int i = 0; i < RECEIVER_POSITION.size(); i++) {
            sources.add(HEADER.formatted("Chains" + (i + 1), RECEIVER_POSITION.get(i).indent(8)));
        }
        Compiled c = compile(sources);
        assertThat(c.output).as("the ordinary chains need no witness and raise no warning; javac output:%n%s", c.output)
                .doesNotContain("Chains0.java");
        for (int i = 0; i < RECEIVER_POSITION.size(); i++) {
            assertThat(c.output).as("expected not to compile: %s%njavac output:%n%s", RECEIVER_POSITION.get(i), c.output)
                    .containsPattern("Chains" + (i + 1) + "\\.java:\\d+: error: [^\\n]*\\n?[^\\n]*Effect<Object,");
        }
    }

    @Test
    void theOrdinaryChainsAloneCompileCleanly() throws IOException {
        Compiled c = compile(List.of(HEADER.formatted("Chains0", CHAINS.indent(8))));
        assertThat(c.status).as("javac output:%n%s", c.output).isZero();
    }

    private record Compiled(int status, String output) {
    }

    private static Compiled compile(List<String> sources) throws IOException {
        Path dir = Files.createTempDirectory("chains");
        List<String> args = new ArrayList<>(List.of("-Xlint:all", "-Werror", "-proc:none", "-d",
                dir.resolve("classes").toString(), "-classpath", System.getProperty("java.class.path")));
        for (int i = 0; i < sources.size(); i++) {
            Path src = dir.resolve("Chains" + i + ".java");
            Files.writeString(src, sources.get(i));
            args.add(src.toString());
        }
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        StringWriter out = new StringWriter();
        PrintWriter pw = new PrintWriter(out);
        int status = javac.run(pw, pw, args.toArray(String[]::new));
        pw.flush();
        return new Compiled(status, out.toString());
    }
}
