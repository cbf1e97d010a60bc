package aivi.concurrency.bench;

import aivi.concurrency.Effect;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What call-site tracing ({@code -Daivi.concurrency.tracing=true}) costs where it does its work: building a
 * step. Each benchmark builds one {@code flatMap} or {@code map} node over an effect that is not a plain value
 * (so the node is not fused), with the same lambda every time, as a loop in user code does after warm-up.
 *
 * <ul>
 *   <li>{@code build_flatMap}, {@code build_map}: tracing off, the default; the score to compare with the
 *       previous commit (off must add nothing).</li>
 *   <li>{@code build_flatMap_tracing}, {@code build_map_tracing}: the same in a fork started with tracing
 *       on; the difference to the off score is the per-node cost of the cached lookup.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class TracingBenchmark {

    private static final String TRACING = "-Daivi.concurrency.tracing=true";

    /** Not a value: flatMap and map over it build a FlatMap or Map node. */
    private final Effect<String, Integer> base = Effect.sync(() -> 1);
    private final Function<Integer, Effect<String, Integer>> next = x -> Effect.succeed(x + 1);
    private final Function<Integer, Integer> increment = x -> x + 1;

    @Benchmark
    public Effect<String, Integer> build_flatMap() {
        return base.flatMap(next);
    }

    @Benchmark
    @Fork(value = 2, jvmArgsAppend = TRACING)
    public Effect<String, Integer> build_flatMap_tracing() {
        return base.flatMap(next);
    }

    @Benchmark
    public Effect<String, Integer> build_map() {
        return base.map(increment);
    }

    @Benchmark
    @Fork(value = 2, jvmArgsAppend = TRACING)
    public Effect<String, Integer> build_map_tracing() {
        return base.map(increment);
    }
}
