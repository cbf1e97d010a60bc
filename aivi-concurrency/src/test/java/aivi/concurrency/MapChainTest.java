package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A map of a map is fused into a chain node when it is built (Node.MapChain), appending in place to a shared
 * array of functions while nobody else has: the chain must behave exactly like the nested maps it replaces,
 * also when the same effect is mapped twice (a branch), from another thread, or concurrently, and when a
 * function of the chain throws.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MapChainTest {

    private static final int SEGMENT = Node.MapChain.SEGMENT;

    private static Effect<String, Integer> plusOnes(Effect<String, Integer> start, int count) {
        Effect<String, Integer> e = start;
        for (int i = 0; i < count; i++) {
            e = e.map(x -> x + 1);
        }
        return e;
    }

    @Test
    void chainsOfEveryLengthAroundTheSegmentSizeComputeWhatTheNestedMapsWould() {
        for (int len : new int[] {1, 2, 3, SEGMENT - 1, SEGMENT, SEGMENT + 1, SEGMENT + 2, 2 * SEGMENT,
                2 * SEGMENT + 1, 5 * SEGMENT + 3}) {
            Effect<String, Integer> overSync = plusOnes(Effect.sync(() -> 0), len);
            Effect<String, Integer> overValue = plusOnes(Effect.succeed(0), len);
            assertThat(overSync.run()).as("over sync, %d maps", len).isEqualTo(Exit.success(len));
            assertThat(overSync.run()).as("again, %d maps", len).isEqualTo(Exit.success(len));
            assertThat(overValue.run()).as("over a value, %d maps", len).isEqualTo(Exit.success(len));
        }
    }

    @Test
    void theMapsRunInOrder() {
        List<Integer> order = new ArrayList<>();
        Effect<String, Integer> e = Effect.sync(() -> 0);
        for (int i = 0; i < 3 * SEGMENT; i++) {
            int step = i;
            e = e.map(x -> {
                order.add(step);
                return x + 1;
            });
        }
        assertThat(e.run()).isEqualTo(Exit.success(3 * SEGMENT));
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 3 * SEGMENT; i++) {
            expected.add(i);
        }
        assertThat(order).isEqualTo(expected);
    }

    @Test
    void mappingTheSameChainTwiceGivesTwoIndependentChains() {
        Effect<String, Integer> base = plusOnes(Effect.sync(() -> 0), 10); // 10
        Effect<String, Integer> doubled = base.map(x -> x * 2); // takes base's next slot in place
        Effect<String, Integer> tripled = base.map(x -> x * 3); // the slot is taken: a copy
        Effect<String, Integer> doubledPlus = plusOnes(doubled, 5);
        Effect<String, Integer> tripledPlus = plusOnes(tripled, 5);
        Effect<String, Integer> doubledMinus = doubled.map(x -> x - 1); // a branch of the branch
        assertThat(base.run()).isEqualTo(Exit.success(10));
        assertThat(doubled.run()).isEqualTo(Exit.success(20));
        assertThat(tripled.run()).isEqualTo(Exit.success(30));
        assertThat(doubledPlus.run()).isEqualTo(Exit.success(25));
        assertThat(tripledPlus.run()).isEqualTo(Exit.success(35));
        assertThat(doubledMinus.run()).isEqualTo(Exit.success(19));
    }

    @Test
    void aChainMappedOnAnotherThreadIsCopiedAndBothSidesStayRight() throws Exception {
        Effect<String, Integer> base = plusOnes(Effect.sync(() -> 0), 10);
        Effect<String, Integer>[] other = new Effect[1];
        Thread t = Thread.ofPlatform().start(() -> other[0] = plusOnes(base.map(x -> x * 100), 3));
        t.join();
        Effect<String, Integer> mine = plusOnes(base.map(x -> x * 10), 3); // the builder appends in place
        assertThat(other[0].run()).isEqualTo(Exit.success(1003));
        assertThat(mine.run()).isEqualTo(Exit.success(103));
        assertThat(base.run()).isEqualTo(Exit.success(10));
    }

    @Test
    void manyThreadsMappingOneChainAtOnceEachGetTheirOwnChain() throws Exception {
        Effect<String, Integer> base = plusOnes(Effect.sync(() -> 0), SEGMENT - 3); // room for 3 in place
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Effect<String, Integer>>> built = new ArrayList<>();
            for (int k = 1; k <= threads; k++) {
                int add = k * 1000;
                built.add(pool.submit(() -> {
                    go.await();
                    return plusOnes(base.map(x -> x + add), 2 * SEGMENT);
                }));
            }
            go.countDown();
            for (int k = 1; k <= threads; k++) {
                assertThat(built.get(k - 1).get().run())
                        .isEqualTo(Exit.success(SEGMENT - 3 + k * 1000 + 2 * SEGMENT));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(base.run()).isEqualTo(Exit.success(SEGMENT - 3));
    }

    @Test
    void aFunctionThatThrowsInAChainIsADefectAndTheTraceListsTheMapsStillPending() {
        for (boolean overValue : new boolean[] {true, false}) {
            AtomicInteger after = new AtomicInteger();
            Effect<String, Integer> e = plusOnes(overValue ? Effect.succeed(0) : Effect.sync(() -> 0), 5);
            IllegalStateException boom = new IllegalStateException("boom");
            e = e.map(x -> {
                throw boom;
            });
            for (int i = 0; i < 10; i++) {
                e = e.map(x -> after.incrementAndGet());
            }
            Exit<String, Integer> exit = e.run();
            assertThat(exit).isEqualTo(Exit.defect(boom));
            assertThat(after).hasValue(0);
            EffectTrace trace = Arrays.stream(boom.getSuppressed()).filter(s -> s instanceof EffectTrace)
                    .map(s -> (EffectTrace) s).findFirst().orElseThrow();
            long maps = Arrays.stream(trace.getStackTrace()).filter(f -> f.getMethodName().equals("map")).count();
            assertThat(maps).as("the ten maps after the one that threw").isEqualTo(10);
            // and the failure is handled as usual above the chain
            Effect<String, Integer> recovered = e.catchDefect(t -> Effect.succeed(-1));
            assertThat(recovered.run()).isEqualTo(Exit.success(-1));
        }
    }

    @Test
    void aChainUnderAFailureIsSkippedAndItsFinalizerRuns() {
        AtomicInteger applied = new AtomicInteger();
        AtomicInteger finalized = new AtomicInteger();
        Effect<String, Integer> e = Effect.<String, Integer>fail("no").ensuring(Effect.sync(finalized::incrementAndGet));
        for (int i = 0; i < 3 * SEGMENT; i++) {
            e = e.map(x -> applied.incrementAndGet());
        }
        assertThat(e.run()).isEqualTo(Exit.failure("no"));
        assertThat(applied).hasValue(0);
        assertThat(finalized).hasValue(1);
    }
}
