package aivi.concurrency.bench;

import aivi.concurrency.Concurrency;
import aivi.concurrency.Effect;
import aivi.concurrency.Exit;
import aivi.concurrency.EffectRuntime;
import aivi.concurrency.Task;
import aivi.concurrency.Unit;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.concurrent.atomic.LongAdder;

/**
 * The scale run of issues 3 and 13: one scope spawns {@code N} fibers that each sleep for an hour, then the
 * scope is cancelled; and, in the same JVM right before, the raw virtual-thread baseline: {@code N} virtual
 * threads in {@code Thread.sleep}, each interrupted and joined. For every size it prints the time to spawn
 * them all, the time until all have parked, the heap in use at that point (after a full GC, so it is what the
 * fibers really hold), the peak heap the JVM saw, and the time from the cancel (the first interrupt) until
 * every fiber (thread) has terminated; at the end one line per size with both cancel times and their ratio.
 *
 * <p>Not a unit test and not JMH: one run is one measurement. Run it with a bounded heap, for example
 * {@code java -Xmx4g -cp benchmarks/target/benchmarks.jar aivi.concurrency.bench.ScaleHarness 100000 200000 400000 1000000}
 * (those four sizes are the default).
 */
public final class ScaleHarness {
    private ScaleHarness() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {100_000, 200_000, 400_000, 1_000_000}
                : java.util.Arrays.stream(args).mapToInt(a -> Integer.parseInt(a.replace("_", ""))).toArray();
        StringBuilder summary = new StringBuilder();
        for (int n : sizes) {
            long raw = rawVirtualThreads(n);
            long fibers = fibers(n);
            summary.append(String.format("%,9d: raw virtual threads %,7d ms, aivi fibers %,7d ms, ratio %.2f%n",
                    n, raw / 1_000_000, fibers / 1_000_000, (double) fibers / raw));
        }
        System.out.println("cancel until all terminated:");
        System.out.print(summary);
    }

    /** {@code n} virtual threads sleep; returns the nanoseconds from the first interrupt until all joined. */
    static long rawVirtualThreads(int n) throws Exception {
        LongAdder parked = new LongAdder();
        Thread[] threads = new Thread[n];
        long start = System.nanoTime();
        Runnable body = () -> {
            parked.increment();
            try {
                Thread.sleep(3_600_000);
            } catch (InterruptedException e) {
                // cancelled: end
            }
        };
        for (int i = 0; i < n; i++) {
            threads[i] = Thread.ofVirtual().start(body);
        }
        long spawned = System.nanoTime() - start;
        while (parked.sum() < n) {
            Thread.sleep(1);
        }
        long allParked = System.nanoTime() - start;
        System.gc();
        long cancelAt = System.nanoTime();
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            t.join();
        }
        long cancel = System.nanoTime() - cancelAt;
        System.out.printf("raw virtual threads %,d: spawn all %,d ms, until all parked %,d ms, interrupt until all joined %,d ms%n",
                n, spawned / 1_000_000, allParked / 1_000_000, cancel / 1_000_000);
        return cancel;
    }

    /** The aivi run; returns the nanoseconds from the cancel until every fiber has terminated. */
    static long fibers(int n) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        LongAdder parked = new LongAdder();
        long[] times = new long[4];
        long[] heapAtPeak = new long[1];
        Effect<String, Unit> sleeper = Effect.<String, Unit>sync(() -> {
            parked.increment(); // counted just before it parks in the sleep
            return Unit.UNIT;
        }).then(Concurrency.sleep(3_600_000));

        Effect<String, Unit> program = Effect.gen(d -> {
            long start = System.nanoTime();
            Task<String, Unit> scope = d.await(Concurrency.spawn(Concurrency.<String, Unit>scope(s -> Effect.gen(b -> {
                Effect<String, Task<String, Unit>> spawn = s.spawn(sleeper);
                for (int i = 0; i < n; i++) {
                    b.await(spawn);
                }
                times[0] = System.nanoTime() - start;
                return b.await(Effect.<String, Unit>never());
            }))));
            while (parked.sum() < n) {
                Thread.sleep(1);
            }
            times[1] = System.nanoTime() - start;
            System.gc();
            heapAtPeak[0] = memory.getHeapMemoryUsage().getUsed();
            long cancelAt = System.nanoTime();
            d.await(scope.cancel()); // returns once every fiber of the scope has terminated
            times[2] = System.nanoTime() - cancelAt;
            return Unit.UNIT;
        });

        try (EffectRuntime rt = EffectRuntime.create()) {
            Exit<String, Unit> exit = rt.run(program);
            if (!(exit instanceof Exit.Success)) {
                throw new IllegalStateException("the scale run ended with " + exit);
            }
            if (rt.liveFibers() != 0) {
                throw new IllegalStateException("fibers still alive after the cancel: " + rt.liveFibers());
            }
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf("aivi fibers                     %,d%n", n);
        System.out.printf("max heap (-Xmx)                 %,d MiB%n", memory.getHeapMemoryUsage().getMax() >> 20);
        System.out.printf("time to spawn all               %,d ms%n", times[0] / 1_000_000);
        System.out.printf("time until all parked           %,d ms%n", times[1] / 1_000_000);
        System.out.printf("heap used, all parked, after GC %,d MiB (%,d bytes per fiber)%n",
                heapAtPeak[0] >> 20, (heapAtPeak[0] - heapBefore) / n);
        System.out.printf("peak heap used (sum of pools)   %,d MiB%n", peak >> 20);
        System.out.printf("cancel until all terminated     %,d ms%n", times[2] / 1_000_000);
        return times[2];
    }
}
