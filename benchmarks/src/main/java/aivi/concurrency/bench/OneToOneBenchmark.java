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
 * One producer sends {@link #ELEMENTS} values to one consumer, both on virtual threads started per
 * invocation; the score is nanoseconds per transferred element.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class OneToOneBenchmark {

    static final int ELEMENTS = 200_000;

    /** {@code impl/capacity}; see {@link Pipe#create}. */
    @Param({
        "aivi/0", "jox/0", "SynchronousQueue/0", "LinkedTransferQueue/0",
        "aivi/16", "jox/16", "ArrayBlockingQueue/16", "LinkedBlockingQueue/16",
        "aivi/128", "jox/128", "ArrayBlockingQueue/128", "LinkedBlockingQueue/128",
        "aivi/unbounded", "jox/unbounded", "LinkedTransferQueue/unbounded", "LinkedBlockingQueue/unbounded"
    })
    public String channel;

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public void transfer() throws Exception {
        Pipe<Integer> pipe = Pipe.create(channel);
        VirtualThreads vt = new VirtualThreads();
        vt.start(() -> {
            for (int i = 0; i < ELEMENTS; i++) {
                pipe.send(i);
            }
        });
        vt.start(() -> {
            long sum = 0;
            for (int i = 0; i < ELEMENTS; i++) {
                sum += pipe.receive();
            }
            if (sum != (long) ELEMENTS * (ELEMENTS - 1) / 2) {
                throw new AssertionError("lost or duplicated values: sum " + sum);
            }
        });
        vt.joinAll();
    }
}
