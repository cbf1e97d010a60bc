package aivi.concurrency.bench;

import aivi.concurrency.internal.channel.Channel;
import aivi.concurrency.internal.channel.Select;
import aivi.concurrency.internal.channel.SelectClause;
import aivi.concurrency.internal.channel.Selection;

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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two producers each send {@link #ELEMENTS}/2 values to their own channel; one consumer receives all
 * of them with a select over both channels. The score is nanoseconds per selected element. The JDK has
 * no select, so only jox is the peer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class SelectBenchmark {

    static final int ELEMENTS = 200_000;

    @Param({"aivi", "jox"})
    public String impl;

    @Param({"0", "16"})
    public int capacity;

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public void selectOverTwo() throws Exception {
        VirtualThreads vt = new VirtualThreads();
        int half = ELEMENTS / 2;
        if (impl.equals("aivi")) {
            Channel<Integer> a = Channel.create(capacity);
            Channel<Integer> b = Channel.create(capacity);
            vt.start(() -> {
                for (int i = 0; i < half; i++) {
                    a.send(i);
                }
            });
            vt.start(() -> {
                for (int i = 0; i < half; i++) {
                    b.send(i);
                }
            });
            List<SelectClause<Integer>> clauses = List.of(SelectClause.receive(a), SelectClause.receive(b));
            vt.start(() -> {
                for (int i = 0; i < ELEMENTS; i++) {
                    if (!(Select.select(clauses) instanceof Selection.Received)) {
                        throw new AssertionError("unexpected selection");
                    }
                }
            });
        } else if (impl.equals("jox")) {
            com.softwaremill.jox.Channel<Integer> a = capacity == 0
                    ? com.softwaremill.jox.Channel.newRendezvousChannel()
                    : com.softwaremill.jox.Channel.newBufferedChannel(capacity);
            com.softwaremill.jox.Channel<Integer> b = capacity == 0
                    ? com.softwaremill.jox.Channel.newRendezvousChannel()
                    : com.softwaremill.jox.Channel.newBufferedChannel(capacity);
            vt.start(() -> {
                for (int i = 0; i < half; i++) {
                    a.send(i);
                }
            });
            vt.start(() -> {
                for (int i = 0; i < half; i++) {
                    b.send(i);
                }
            });
            vt.start(() -> {
                for (int i = 0; i < ELEMENTS; i++) {
                    com.softwaremill.jox.Select.select(a.receiveClause(), b.receiveClause());
                }
            });
        } else {
            throw new IllegalArgumentException("unknown impl " + impl);
        }
        vt.joinAll();
    }
}
