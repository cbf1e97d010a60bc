package aivi.concurrency.bench;

import aivi.concurrency.ChannelError;
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
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Channels measured the way users call them: {@code send}/{@code recv} effects in fibers that a
 * {@code scope} spawns, against jox 1.0.1 and the JDK queue doing the same job on plain virtual threads, in
 * the same JMH run. Scores are nanoseconds per transferred element ({@code oneToOne}, {@code fourToFour})
 * or per hop ({@code chain}: one element crossing one of the {@link #STAGES} channels).
 *
 * <ul>
 *   <li>{@code oneToOne}: one producer sends {@link #ELEMENTS} values to one consumer.</li>
 *   <li>{@code fourToFour}: {@link #PARTIES} producers and {@link #PARTIES} consumers share one channel,
 *       {@link #ELEMENTS} values in all.</li>
 *   <li>{@code chain}: a producer, {@code STAGES - 1} forwarders and a consumer over {@link #STAGES}
 *       channels; {@link #CHAIN_ELEMENTS} values, so {@code STAGES * CHAIN_ELEMENTS} hops.</li>
 * </ul>
 *
 * <p>{@code impl} is how the parties are written. {@code gen}: an {@code Effect.gen} loop of
 * {@code d.await(out.send(i))} / {@code d.await(in.recv())}. {@code flatMap}: a recursive
 * {@code out.send(i).flatMap(u -> loop(i + 1))}. {@code fold}: consumers use {@link Receiver#fold},
 * forwarders {@link Receiver#forEach}, producers are {@code flatMap} loops and the channel is closed when
 * they are done (so this style also pays for a close). The baselines, every party on its own virtual thread:
 * {@code jox} ({@code send}/{@code receive}) and {@code jdk}: {@code SynchronousQueue} for capacity 0,
 * {@code ArrayBlockingQueue(n)} for {@code n > 0}, {@code LinkedTransferQueue} for unbounded
 * ({@code put}/{@code take}). {@code capacity}: 0 (rendezvous), 1, 16, 128, or {@code unbounded}
 * ({@code make()}).
 *
 * <p>Every case checks the sum of what was received: a lost or duplicated value fails the run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ApiChannelBenchmark {

    static final int ELEMENTS = 100_000;
    static final int PARTIES = 4;
    static final int STAGES = 100;
    static final int CHAIN_ELEMENTS = 2_000;

    @Param({"gen", "flatMap", "fold", "jox", "jdk"})
    public String impl;

    @Param({"0", "1", "16", "128", "unbounded"})
    public String capacity;

    private int cap;

    @Setup
    public void setup() {
        cap = capacity.equals("unbounded") ? -1 : Integer.parseInt(capacity);
        if (!List.of("gen", "flatMap", "fold", "jox", "jdk").contains(impl)) {
            throw new IllegalArgumentException("unknown impl " + impl);
        }
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long oneToOne() throws Exception {
        return run(1, ELEMENTS, 1);
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long fourToFour() throws Exception {
        return run(PARTIES, ELEMENTS, 1);
    }

    @Benchmark
    @OperationsPerInvocation(STAGES * CHAIN_ELEMENTS)
    public long chain() throws Exception {
        return run(1, CHAIN_ELEMENTS, STAGES);
    }

    /** {@code parties} producers and consumers, {@code n} values in all, over {@code stages} channels. */
    private long run(int parties, int n, int stages) throws Exception {
        long sum = switch (impl) {
            case "jox", "jdk" -> threads(parties, n, stages);
            default -> fibers(parties, n, stages).runOrThrow();
        };
        check(sum, (long) n * (n - 1) / 2);
        return sum;
    }

    // ------------------------------------------------------------------------------------- aivi

    private Effect<String, Long> fibers(int parties, int n, int stages) {
        int share = n / parties;
        boolean folding = impl.equals("fold");
        return Concurrency.scope(s -> Effect.<String, Long>gen(d -> {
            List<Sender<Integer>> outs = new ArrayList<>();
            List<Receiver<Integer>> ins = new ArrayList<>();
            for (int i = 0; i < stages; i++) {
                Pair<Sender<Integer>, Receiver<Integer>> ch = d.await(open(cap));
                outs.add(ch.first());
                ins.add(ch.second());
            }
            List<Task<String, Unit>> producers = new ArrayList<>();
            for (int p = 0; p < parties; p++) {
                producers.add(d.await(s.spawn(producer(outs.get(0), p * share, (p + 1) * share))));
            }
            for (int i = 0; i + 1 < stages; i++) {
                d.await(s.spawn(forwarder(ins.get(i), outs.get(i + 1), n)));
            }
            List<Task<String, Long>> consumers = new ArrayList<>();
            for (int p = 0; p < parties; p++) {
                consumers.add(d.await(s.spawn(consumer(ins.get(stages - 1), share))));
            }
            for (Task<String, Unit> t : producers) {
                d.await(t.join());
            }
            if (folding) {
                d.await(outs.get(0).close());
            }
            long sum = 0;
            for (Task<String, Long> t : consumers) {
                sum += d.await(t.join());
            }
            return sum;
        }));
    }

    private static Effect<String, Pair<Sender<Integer>, Receiver<Integer>>> open(int cap) {
        return cap < 0 ? Concurrency.make() : Concurrency.makeBounded(cap);
    }

    private Effect<String, Unit> producer(Sender<Integer> out, int from, int to) {
        if (impl.equals("gen")) {
            return Effect.gen(d -> {
                for (int i = from; i < to; i++) {
                    d.await(out.send(i));
                }
                return Unit.UNIT;
            });
        }
        return sendLoop(out, from, to);
    }

    private static Effect<String, Unit> sendLoop(Sender<Integer> out, int i, int to) {
        if (i == to) {
            return Effect.unit();
        }
        return out.<String>send(i).flatMap(u -> sendLoop(out, i + 1, to));
    }

    private Effect<String, Long> consumer(Receiver<Integer> in, int count) {
        return switch (impl) {
            case "gen" -> Effect.gen(d -> {
                long sum = 0;
                for (int i = 0; i < count; i++) {
                    sum += value(d.await(in.recv()));
                }
                return sum;
            });
            case "fold" -> in.fold(0L, (acc, v) -> acc + v);
            default -> recvLoop(in, count, 0L);
        };
    }

    private static Effect<String, Long> recvLoop(Receiver<Integer> in, int left, long sum) {
        if (left == 0) {
            return Effect.succeed(sum);
        }
        return in.<String>recv().flatMap(r -> recvLoop(in, left - 1, sum + value(r)));
    }

    private Effect<String, Unit> forwarder(Receiver<Integer> in, Sender<Integer> out, int count) {
        return switch (impl) {
            case "gen" -> Effect.gen(d -> {
                for (int i = 0; i < count; i++) {
                    d.await(out.send(value(d.await(in.recv()))));
                }
                return Unit.UNIT;
            });
            case "fold" -> in.<String>forEach(out::send).then(out.close());
            default -> forwardLoop(in, out, count);
        };
    }

    private static Effect<String, Unit> forwardLoop(Receiver<Integer> in, Sender<Integer> out, int left) {
        if (left == 0) {
            return Effect.unit();
        }
        return in.<String>recv().flatMap(r -> out.<String>send(value(r)).flatMap(u -> forwardLoop(in, out, left - 1)));
    }

    static int value(Result<ChannelError, Integer> r) {
        if (r instanceof Result.Ok<ChannelError, Integer> ok) {
            return ok.value();
        }
        throw new AssertionError("the channel closed early: " + r);
    }

    // -------------------------------------------------------------------------- jox and the JDK

    private String pipeSpec() {
        String c = cap < 0 ? Pipe.UNBOUNDED : Integer.toString(cap);
        if (impl.equals("jox")) {
            return "jox/" + c;
        }
        return (cap == 0 ? "SynchronousQueue/" : cap > 0 ? "ArrayBlockingQueue/" : "LinkedTransferQueue/") + c;
    }

    private long threads(int parties, int n, int stages) throws Exception {
        int share = n / parties;
        List<Pipe<Integer>> pipes = new ArrayList<>();
        for (int i = 0; i < stages; i++) {
            pipes.add(Pipe.create(pipeSpec()));
        }
        VirtualThreads vt = new VirtualThreads();
        for (int p = 0; p < parties; p++) {
            int from = p * share;
            int to = from + share;
            Pipe<Integer> out = pipes.get(0);
            vt.start(() -> {
                for (int i = from; i < to; i++) {
                    out.send(i);
                }
            });
        }
        for (int s = 0; s + 1 < stages; s++) {
            Pipe<Integer> from = pipes.get(s);
            Pipe<Integer> to = pipes.get(s + 1);
            vt.start(() -> {
                for (int i = 0; i < n; i++) {
                    to.send(from.receive());
                }
            });
        }
        long[] sums = new long[parties];
        for (int p = 0; p < parties; p++) {
            int slot = p;
            Pipe<Integer> in = pipes.get(stages - 1);
            vt.start(() -> {
                long sum = 0;
                for (int i = 0; i < share; i++) {
                    sum += in.receive();
                }
                sums[slot] = sum;
            });
        }
        vt.joinAll();
        long sum = 0;
        for (long s : sums) {
            sum += s;
        }
        return sum;
    }

    static void check(long sum, long expected) {
        if (sum != expected) {
            throw new AssertionError("lost or duplicated values: sum " + sum + ", expected " + expected);
        }
    }
}
