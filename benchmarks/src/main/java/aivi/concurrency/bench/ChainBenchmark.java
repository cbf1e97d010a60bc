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
 * A chain of {@link #STAGES} channels: a producer feeds the first, a virtual thread per stage forwards
 * from each channel to the next, a consumer drains the last. The score is nanoseconds per hop (one
 * element crossing one channel).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class ChainBenchmark {

    static final int STAGES = 100;
    static final int ELEMENTS = 2_000;

    @Param({"aivi/0", "jox/0", "SynchronousQueue/0", "aivi/16", "jox/16", "ArrayBlockingQueue/16"})
    public String channel;

    @Benchmark
    @OperationsPerInvocation(STAGES * ELEMENTS)
    public void chain() throws Exception {
        @SuppressWarnings("unchecked")
        Pipe<Integer>[] pipes = new Pipe[STAGES];
        for (int i = 0; i < STAGES; i++) {
            pipes[i] = Pipe.create(channel);
        }
        VirtualThreads vt = new VirtualThreads();
        vt.start(() -> {
            for (int i = 0; i < ELEMENTS; i++) {
                pipes[0].send(i);
            }
        });
        for (int s = 0; s + 1 < STAGES; s++) {
            Pipe<Integer> from = pipes[s];
            Pipe<Integer> to = pipes[s + 1];
            vt.start(() -> {
                for (int i = 0; i < ELEMENTS; i++) {
                    to.send(from.receive());
                }
            });
        }
        vt.start(() -> {
            Pipe<Integer> last = pipes[STAGES - 1];
            for (int i = 0; i < ELEMENTS; i++) {
                last.receive();
            }
        });
        vt.joinAll();
    }
}
