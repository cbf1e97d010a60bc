package aivi.concurrency.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * {@link #PAIRS} independent producer/consumer pairs, each with its own channel, all on virtual
 * threads at once. The score is nanoseconds per transferred element (over all pairs).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class ParallelBenchmark {

    static final int PAIRS = 1_000;
    static final int ELEMENTS_PER_PAIR = 200;

    @Param({"aivi/0", "jox/0", "SynchronousQueue/0", "aivi/16", "jox/16", "ArrayBlockingQueue/16"})
    public String channel;

    @Benchmark
    @OperationsPerInvocation(PAIRS * ELEMENTS_PER_PAIR)
    public void pairs() throws Exception {
        VirtualThreads vt = new VirtualThreads();
        for (int p = 0; p < PAIRS; p++) {
            Pipe<Integer> pipe = Pipe.create(channel);
            vt.start(() -> {
                for (int i = 0; i < ELEMENTS_PER_PAIR; i++) {
                    pipe.send(i);
                }
            });
            vt.start(() -> {
                for (int i = 0; i < ELEMENTS_PER_PAIR; i++) {
                    pipe.receive();
                }
            });
        }
        vt.joinAll();
    }
}
