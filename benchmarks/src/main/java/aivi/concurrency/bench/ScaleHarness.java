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
 * The scale run of issue 3: one scope spawns {@code N} fibers (default 1,000,000) that each sleep for an
 * hour, then the scope is cancelled. Prints the time to spawn them all, the time until all have parked, the
 * heap in use at that point (after a full GC, so it is what the fibers really hold), the peak heap the JVM
 * saw, and the time from the cancel until every fiber has terminated.
 *
 * <p>Not a unit test and not JMH: one run is one measurement. Run it with a bounded heap, for example
 * {@code java -Xmx4g -cp benchmarks/target/benchmarks.jar aivi.concurrency.bench.ScaleHarness 1000000}.
 */
public final class ScaleHarness {
    private ScaleHarness() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
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
        System.out.printf("fibers                          %,d%n", n);
        System.out.printf("max heap (-Xmx)                 %,d MiB%n", memory.getHeapMemoryUsage().getMax() >> 20);
        System.out.printf("time to spawn all               %,d ms%n", times[0] / 1_000_000);
        System.out.printf("time until all parked           %,d ms%n", times[1] / 1_000_000);
        System.out.printf("heap used, all parked, after GC %,d MiB (%,d bytes per fiber)%n",
                heapAtPeak[0] >> 20, (heapAtPeak[0] - heapBefore) / n);
        System.out.printf("peak heap used (sum of pools)   %,d MiB%n", peak >> 20);
        System.out.printf("cancel until all terminated     %,d ms%n", times[2] / 1_000_000);
    }
}
