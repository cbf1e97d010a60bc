package aivi.concurrency.bench;

import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.EffectRuntime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one step of the {@link Effect} run loop, against the JDK doing the same sequential composition,
 * all in one run. Every benchmark performs {@link #STEPS} steps per invocation and the score is nanoseconds
 * per step.
 *
 * <ul>
 *   <li>{@code plain_functionApply} (floor): a loop of {@code Function.apply} steps on boxed integers.</li>
 *   <li>{@code jdk_thenCompose} (baseline): {@code f = f.thenCompose(x -> completedFuture(x + 1))} on
 *       already-completed futures; each step allocates a future and runs at once. Built eagerly, step by
 *       step, because a recursive {@code thenCompose} on completed futures recurses on the Java stack (a
 *       million steps overflow it).</li>
 *   <li>{@code effect_flatMapLoop}: {@code loop(n) = succeed(n).flatMap(x -> loop(x - 1))}, the chain built
 *       lazily by recursion as the loop runs: each step allocates two nodes and a lambda, as user code
 *       does.</li>
 *   <li>{@code effect_flatMapLeftNested}: a prebuilt left-nested chain {@code
 *       succeed(0).flatMap(f).flatMap(f)...}: the run loop pushes a million frames, then pops them.</li>
 *   <li>{@code effect_mapDeep}: a prebuilt million-deep {@code map} chain (run only: the chain is built once,
 *       in the setup).</li>
 *   <li>{@code effect_mapDeepBuildAndRun}: the same chain built and then run, per invocation.</li>
 *   <li>{@code jdk_thenApplyDeep} (baseline for the two above): a million {@code thenApply} steps stacked on an
 *       incomplete future, which is then completed: the JDK's deep pending chain, built and run.</li>
 *   <li>{@code effect_genAwait}: {@code Effect.gen} with a million {@code d.await(succeed(i))} in a Java
 *       loop.</li>
 * </ul>
 *
 * <p>Each effect benchmark runs its effect with {@link EffectRuntime#run}, which starts one root fiber (a virtual
 * thread) and blocks the JMH thread until it ends: a few microseconds, spread over a million steps.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class EffectBenchmark {

    static final int STEPS = 1_000_000;

    private EffectRuntime rt;
    private Effect<String, Integer> leftNested;
    private Effect<String, Integer> mapDeep;
    private Effect<String, Long> genAwait;
    /** Not final and read from a field, so the JIT cannot fold the plain loop away. */
    private Function<Integer, Integer> increment = x -> x + 1;

    @Setup(Level.Trial)
    public void setUp() {
        rt = EffectRuntime.create();
        Effect<String, Integer> chain = Effect.succeed(0);
        for (int i = 0; i < STEPS; i++) {
            chain = chain.flatMap(x -> Effect.succeed(x + 1));
        }
        leftNested = chain;
        Effect<String, Integer> maps = Effect.succeed(0);
        for (int i = 0; i < STEPS; i++) {
            maps = maps.map(x -> x + 1);
        }
        mapDeep = maps;
        genAwait = Effect.gen(d -> {
            long sum = 0;
            for (int i = 0; i < STEPS; i++) {
                sum += d.await(Effect.succeed(i));
            }
            return sum;
        });
        check(rt.run(loop(STEPS)), 0);
        check(rt.run(leftNested), STEPS);
        check(rt.run(mapDeep), STEPS);
        check(rt.run(genAwait), (long) STEPS * (STEPS - 1) / 2);
        check(Exit.success(thenCompose()), STEPS);
        check(Exit.success(plainLoop()), STEPS);
        check(Exit.success(thenApplyDeep()), STEPS);
        check(rt.run(mapChain()), STEPS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rt.close();
    }

    private static void check(Exit<?, ?> exit, Object expected) {
        if (!exit.equals(Exit.success(expected))) {
            throw new IllegalStateException("benchmark computes the wrong thing: " + exit + ", expected " + expected);
        }
    }

    private static Effect<String, Integer> loop(int n) {
        if (n == 0) {
            return Effect.succeed(0);
        }
        return Effect.<String, Integer>succeed(n).flatMap(x -> loop(x - 1));
    }

    private Integer thenCompose() {
        CompletableFuture<Integer> f = CompletableFuture.completedFuture(0);
        for (int i = 0; i < STEPS; i++) {
            f = f.thenCompose(x -> CompletableFuture.completedFuture(x + 1));
        }
        return f.join();
    }

    private Integer thenApplyDeep() {
        CompletableFuture<Integer> root = new CompletableFuture<>();
        CompletableFuture<Integer> f = root;
        Function<Integer, Integer> g = increment;
        for (int i = 0; i < STEPS; i++) {
            f = f.thenApply(g);
        }
        root.complete(0);
        return f.join();
    }

    private Effect<String, Integer> mapChain() {
        Function<Integer, Integer> g = increment;
        Effect<String, Integer> maps = Effect.sync(() -> 0);
        for (int i = 0; i < STEPS; i++) {
            maps = maps.map(g);
        }
        return maps;
    }

    private Integer plainLoop() {
        Function<Integer, Integer> f = increment;
        Integer x = 0;
        for (int i = 0; i < STEPS; i++) {
            x = f.apply(x);
        }
        return x;
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Integer plain_functionApply() {
        return plainLoop();
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Integer jdk_thenCompose() {
        return thenCompose();
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Exit<String, Integer> effect_flatMapLoop() {
        return rt.run(loop(STEPS));
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Exit<String, Integer> effect_flatMapLeftNested() {
        return rt.run(leftNested);
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Exit<String, Integer> effect_mapDeep() {
        return rt.run(mapDeep);
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Exit<String, Long> effect_genAwait() {
        return rt.run(genAwait);
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Exit<String, Integer> effect_mapDeepBuildAndRun() {
        return rt.run(mapChain());
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Integer jdk_thenApplyDeep() {
        return thenApplyDeep();
    }
}
