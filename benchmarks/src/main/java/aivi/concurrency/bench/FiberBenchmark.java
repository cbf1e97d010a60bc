package aivi.concurrency.bench;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.EffectRuntime;
import aivi.concurrency.Task;
import aivi.concurrency.Unit;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The cost of fibers and of the structured-concurrency combinators, each against the JDK doing the same with
 * bare virtual threads, all measured <em>from inside a virtual thread</em>.
 *
 * <p>Every invocation starts one virtual thread (for aivi: the root fiber of {@code EffectRuntime.run}) whose body
 * repeats the operation {@link #N} times; the score is nanoseconds per operation. Starting and joining that
 * one outer thread from the JMH platform thread costs the same on both sides and is spread over {@code N}
 * operations. Measuring from a virtual thread matters: a platform thread waiting for a virtual thread is
 * woken by the OS, which costs about ten times a virtual-thread hand-off on these machines.
 *
 * <ul>
 *   <li>{@code vt_startJoin} (baseline): {@code Thread.ofVirtual().start(r).join()}.</li>
 *   <li>{@code fiber_spawnJoin}: {@code spawn(unit).flatMap(Task::join)}, awaited in an {@code Effect.gen}
 *       loop.</li>
 *   <li>{@code fiber_spawnJoinLoop}: the same, {@link #N} times in a recursive {@code flatMap} loop.</li>
 *   <li>{@code fiber_par}: {@code par(unit, unit)} (one branch on the caller, one on a new fiber).</li>
 *   <li>{@code fiber_race}: {@code race(unit, unit)}.</li>
 *   <li>{@code fiber_timeoutWith} and its JDK baseline {@code jdk_scheduledTimeout}: a time limit around
 *       an effect that finishes at once (the timer is armed and disarmed).</li>
 *   <li>{@code vt_10k} (baseline) and {@code fiber_scope10k}: {@link #MANY} started at once, then all
 *       joined; per task.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FiberBenchmark {

    /** Operations per invocation for the one-at-a-time benchmarks. */
    static final int N = 1_000;
    /** Tasks alive at once in the fan-out benchmarks. */
    static final int MANY = 10_000;

    private EffectRuntime rt;
    private ScheduledExecutorService scheduler;

    private static final Runnable NOTHING = () -> { };
    private static final Effect<String, Unit> UNIT = Effect.unit();

    private Effect<String, Unit> spawnJoinN;
    private Effect<String, Unit> spawnJoinLoopN;
    private Effect<String, Unit> parN;
    private Effect<String, Unit> raceN;
    private Effect<String, Unit> timeoutN;
    private Effect<String, Unit> scope10k;

    @Setup(Level.Trial)
    public void setUp() {
        rt = EffectRuntime.create();
        ScheduledThreadPoolExecutor stpe = new ScheduledThreadPoolExecutor(1);
        // A cancelled timeout must leave the queue, as aivi's timers do; otherwise millions of cancelled
        // 10 s tasks pile up and the baseline runs out of heap.
        stpe.setRemoveOnCancelPolicy(true);
        scheduler = stpe;
        spawnJoinN = repeat(Concurrency.spawn(UNIT).flatMap(Task::join));
        spawnJoinLoopN = repeatLoop(Concurrency.spawn(UNIT).flatMap(Task::join), N);
        parN = repeat(Concurrency.par(UNIT, UNIT).asUnit());
        raceN = repeat(Concurrency.race(UNIT, UNIT));
        timeoutN = repeat(Concurrency.timeoutWith(10_000, "timeout", UNIT));
        scope10k = Concurrency.scope(s -> Effect.gen(d -> {
            @SuppressWarnings("unchecked")
            Task<String, Unit>[] tasks = new Task[MANY];
            Effect<String, Task<String, Unit>> spawn = s.spawn(UNIT);
            for (int i = 0; i < MANY; i++) {
                tasks[i] = d.await(spawn);
            }
            for (Task<String, Unit> t : tasks) {
                d.await(t.join());
            }
            return Unit.UNIT;
        }));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rt.close();
        scheduler.shutdownNow();
    }

    /** {@code op} run {@link #N} times in a row on one fiber. */
    private static Effect<String, Unit> repeat(Effect<String, ?> op) {
        return Effect.gen(d -> {
            for (int i = 0; i < N; i++) {
                d.await(op);
            }
            return Unit.UNIT;
        });
    }

    /** {@code op} run {@code n} times in a row on one fiber, as a recursive {@code flatMap} loop. */
    private static Effect<String, Unit> repeatLoop(Effect<String, ?> op, int n) {
        return n == 0 ? Effect.unit() : op.flatMap(x -> repeatLoop(op, n - 1));
    }

    private void runOnFiber(Effect<String, Unit> e) {
        Exit<String, Unit> exit = rt.run(e);
        if (!(exit instanceof Exit.Success)) {
            throw new IllegalStateException("benchmark effect ended with " + exit);
        }
    }

    /** Runs {@code body} on a fresh virtual thread and waits for it. */
    private static void runOnVirtualThread(VirtualThreads.Body body) throws InterruptedException {
        VirtualThreads vt = new VirtualThreads();
        vt.start(body);
        vt.joinAll();
    }

    // ------------------------------------------------------------------------------------------------------
    // spawn + join

    @Benchmark
    @OperationsPerInvocation(N)
    public void vt_startJoin() throws InterruptedException {
        runOnVirtualThread(() -> {
            for (int i = 0; i < N; i++) {
                Thread.ofVirtual().start(NOTHING).join();
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void fiber_spawnJoin() {
        runOnFiber(spawnJoinN);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void fiber_spawnJoinLoop() {
        runOnFiber(spawnJoinLoopN);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void fiber_par() {
        runOnFiber(parN);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void fiber_race() {
        runOnFiber(raceN);
    }

    // ------------------------------------------------------------------------------------------------------
    // timeoutWith

    @Benchmark
    @OperationsPerInvocation(N)
    public void jdk_scheduledTimeout(Blackhole bh) throws InterruptedException {
        runOnVirtualThread(() -> {
            Thread me = Thread.currentThread();
            for (int i = 0; i < N; i++) {
                ScheduledFuture<?> f = scheduler.schedule(me::interrupt, 10_000, TimeUnit.MILLISECONDS);
                NOTHING.run();
                f.cancel(false);
                bh.consume(f);
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void fiber_timeoutWith() {
        runOnFiber(timeoutN);
    }

    // ------------------------------------------------------------------------------------------------------
    // 10,000 at once

    @Benchmark
    @OperationsPerInvocation(MANY)
    public void vt_10k() throws InterruptedException {
        runOnVirtualThread(() -> {
            Thread[] ts = new Thread[MANY];
            for (int i = 0; i < MANY; i++) {
                ts[i] = Thread.ofVirtual().start(NOTHING);
            }
            for (Thread t : ts) {
                t.join();
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(MANY)
    public void fiber_scope10k() {
        runOnFiber(scope10k);
    }
}
