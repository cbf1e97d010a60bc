package aivi.concurrency.bench;

import aivi.concurrency.ChannelError;
import aivi.concurrency.Clause;
import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Pair;
import aivi.concurrency.Receiver;
import aivi.concurrency.Result;
import aivi.concurrency.Sender;
import aivi.concurrency.Task;
import aivi.concurrency.Unit;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code Concurrency.select} through the public API against jox's {@code Select.select}: {@code channels}
 * producers each send their share of {@link #ELEMENTS} values to their own channel, and one consumer
 * receives all of them with a select over every channel. The score is nanoseconds per selected element.
 * {@code impl}: {@code gen} (an {@code Effect.gen} loop of {@code d.await(select(...))}), {@code flatMap}
 * (a recursive loop), {@code jox} (virtual threads). The producers are {@code flatMap} loops for aivi.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ApiSelectBenchmark {

    static final int ELEMENTS = 100_000;

    @Param({"gen", "flatMap", "jox"})
    public String impl;

    @Param({"2", "8"})
    public int channels;

    @Param({"0", "16"})
    public int capacity;

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long select() throws Exception {
        long sum = impl.equals("jox") ? jox() : fibers().runOrThrow();
        ApiChannelBenchmark.check(sum, (long) ELEMENTS * (ELEMENTS - 1) / 2);
        return sum;
    }

    private Effect<String, Long> fibers() {
        int share = ELEMENTS / channels;
        return Concurrency.scope(s -> Effect.<String, Long>gen(d -> {
            List<Receiver<Integer>> ins = new ArrayList<>();
            for (int c = 0; c < channels; c++) {
                Pair<Sender<Integer>, Receiver<Integer>> ch = d.await(Concurrency.makeBounded(capacity));
                ins.add(ch.second());
                d.await(s.spawn(sendLoop(ch.first(), c * share, (c + 1) * share)));
            }
            @SuppressWarnings("unchecked")
            Clause<Result<ChannelError, Integer>>[] clauses = new Clause[channels];
            for (int c = 0; c < channels; c++) {
                clauses[c] = Clause.recv(ins.get(c), r -> r);
            }
            Effect<String, Result<ChannelError, Integer>> one = Concurrency.select(clauses);
            Task<String, Long> consumer = d.await(s.spawn(impl.equals("gen")
                    ? Effect.<String, Long>gen(g -> {
                        long sum = 0;
                        for (int i = 0; i < ELEMENTS; i++) {
                            sum += ApiChannelBenchmark.value(g.await(one));
                        }
                        return sum;
                    })
                    : selectLoop(one, ELEMENTS, 0L)));
            return d.await(consumer.join());
        }));
    }

    private static Effect<String, Unit> sendLoop(Sender<Integer> out, int i, int to) {
        if (i == to) {
            return Effect.unit();
        }
        return out.<String>send(i).flatMap(u -> sendLoop(out, i + 1, to));
    }

    private static Effect<String, Long> selectLoop(Effect<String, Result<ChannelError, Integer>> one, int left,
                                                   long sum) {
        if (left == 0) {
            return Effect.succeed(sum);
        }
        return one.flatMap(r -> selectLoop(one, left - 1, sum + ApiChannelBenchmark.value(r)));
    }

    private long jox() throws Exception {
        int share = ELEMENTS / channels;
        List<com.softwaremill.jox.Channel<Integer>> chs = new ArrayList<>();
        VirtualThreads vt = new VirtualThreads();
        for (int c = 0; c < channels; c++) {
            com.softwaremill.jox.Channel<Integer> ch = capacity == 0
                    ? com.softwaremill.jox.Channel.newRendezvousChannel()
                    : com.softwaremill.jox.Channel.newBufferedChannel(capacity);
            chs.add(ch);
            int from = c * share;
            vt.start(() -> {
                for (int i = from; i < from + share; i++) {
                    ch.send(i);
                }
            });
        }
        long[] sum = new long[1];
        vt.start(() -> {
            long acc = 0;
            for (int i = 0; i < ELEMENTS; i++) {
                @SuppressWarnings("unchecked")
                com.softwaremill.jox.SelectClause<Integer>[] clauses = new com.softwaremill.jox.SelectClause[channels];
                for (int c = 0; c < channels; c++) {
                    clauses[c] = chs.get(c).receiveClause();
                }
                acc += com.softwaremill.jox.Select.select(clauses);
            }
            sum[0] = acc;
        });
        vt.joinAll();
        return sum[0];
    }
}
