package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The run loop keeps its continuations on an explicit stack: deep chains and long recursive loops run in
 * constant Java stack. A regression shows up as a {@link StackOverflowError}, which the run loop reports as
 * an {@link Exit.Defect}; every test therefore asserts the exact success.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(60)
class StackSafetyTest {

    private static final int DEPTH = 1_000_000;

    @Test
    void aMillionLeftNestedFlatMapsRun() {
        Effect<String, Integer> chain = Effect.succeed(0);
        for (int i = 0; i < DEPTH; i++) {
            chain = chain.flatMap(x -> Effect.succeed(x + 1));
        }
        assertThat(chain.run()).isEqualTo(Exit.success(DEPTH));
    }

    @Test
    void aMillionRightNestedFlatMapsRun() {
        // sync(step).flatMap(x -> sync(step).flatMap(x -> ... )) built eagerly from the inside out.
        AtomicInteger steps = new AtomicInteger();
        Effect<String, Integer> chain = Effect.sync(steps::get);
        for (int i = 0; i < DEPTH; i++) {
            Effect<String, Integer> rest = chain;
            chain = Effect.<String, Integer>sync(steps::incrementAndGet).flatMap(x -> rest);
        }
        assertThat(chain.run()).isEqualTo(Exit.success(DEPTH));
        steps.set(0);
        assertThat(chain.run()).as("the chain is re-runnable").isEqualTo(Exit.success(DEPTH));
    }

    @Test
    void aMillionDeepMapChainRuns() {
        Effect<String, Integer> chain = Effect.succeed(0);
        for (int i = 0; i < DEPTH; i++) {
            chain = chain.map(x -> x + 1);
        }
        assertThat(chain.run()).isEqualTo(Exit.success(DEPTH));
    }

    @Test
    void aMillionDeepMapChainUnderAFlatMapRuns() {
        // map frames pile up on the explicit stack under a flatMap continuation that builds them lazily
        Effect<String, Integer> chain = Effect.<String, Integer>succeed(0).flatMap(StackSafetyTest::mapTower);
        assertThat(chain.run()).isEqualTo(Exit.success(DEPTH));
    }

    private static Effect<String, Integer> mapTower(int start) {
        Effect<String, Integer> e = Effect.succeed(start);
        for (int i = 0; i < DEPTH; i++) {
            e = e.map(x -> x + 1);
        }
        return e;
    }

    @Test
    void aMillionStepLoopByFlatMapRecursionRuns() {
        assertThat(countDownByFlatMap(DEPTH).run()).isEqualTo(Exit.success(0));
    }

    private static Effect<String, Integer> countDownByFlatMap(int n) {
        return Effect.<String, Integer>succeed(n).flatMap(x -> x == 0 ? Effect.succeed(0) : countDownByFlatMap(x - 1));
    }

    @Test
    void aMillionStepLoopBySuspendRecursionRuns() {
        assertThat(sumBySuspend(DEPTH, 0L).run()).isEqualTo(Exit.success((long) DEPTH * (DEPTH + 1) / 2));
    }

    private static Effect<String, Long> sumBySuspend(int n, long acc) {
        return Effect.suspend(() -> n == 0 ? Effect.succeed(acc) : sumBySuspend(n - 1, acc + n));
    }

    @Test
    void aMillionStepNonTailRecursionRuns() {
        // loop(n) = loop(n - 1).map(+1): every step leaves a pending map frame until the bottom is reached
        assertThat(depthByNonTailRecursion(DEPTH).run()).isEqualTo(Exit.success(DEPTH));
    }

    private static Effect<String, Integer> depthByNonTailRecursion(int n) {
        return n == 0 ? Effect.succeed(0)
                : Effect.<String, Integer>suspend(() -> depthByNonTailRecursion(n - 1)).map(x -> x + 1);
    }

    @Test
    void aMillionNestedCatchAllsRun() {
        Effect<Integer, Integer> chain = Effect.fail(0);
        for (int i = 0; i < DEPTH; i++) {
            chain = chain.catchAll(n -> Effect.fail(n + 1));
        }
        assertThat(chain.run()).isEqualTo(Exit.failure(DEPTH));
    }

    @Test
    void aMillionNestedEnsuringsRunEachFinalizerOnce() {
        AtomicInteger finalized = new AtomicInteger();
        Effect<String, Integer> fin = Effect.sync(finalized::incrementAndGet);
        Effect<String, Integer> chain = Effect.succeed(7);
        for (int i = 0; i < DEPTH; i++) {
            chain = chain.ensuring(fin);
        }
        assertThat(chain.run()).isEqualTo(Exit.success(7));
        assertThat(finalized).hasValue(DEPTH);
    }

    @Test
    void aMillionStepLoopWithEnsuringInEachStepRuns() {
        AtomicInteger finalized = new AtomicInteger();
        assertThat(loopWithFinalizer(DEPTH, finalized).run()).isEqualTo(Exit.success(0));
        assertThat(finalized).hasValue(DEPTH);
    }

    private static Effect<String, Integer> loopWithFinalizer(int n, AtomicInteger finalized) {
        if (n == 0) {
            return Effect.succeed(0);
        }
        return Effect.<String, Integer>succeed(n)
                .ensuring(Effect.sync(finalized::incrementAndGet))
                .flatMap(x -> loopWithFinalizer(x - 1, finalized));
    }

    @Test
    void aMillionStepAwaitLoopInGenRuns() {
        Effect<String, Long> sum = Effect.gen(d -> {
            long total = 0;
            for (int i = 1; i <= DEPTH; i++) {
                total += d.await(Effect.succeed(i));
            }
            return total;
        });
        assertThat(sum.run()).isEqualTo(Exit.success((long) DEPTH * (DEPTH + 1) / 2));
    }

    @Test
    void aFailureUnwindsAMillionFramesToTheOutermostHandler() {
        Effect<String, Integer> chain = Effect.fail("deep");
        for (int i = 0; i < DEPTH; i++) {
            chain = i % 2 == 0 ? chain.map(x -> x + 1) : chain.flatMap(x -> Effect.succeed(x + 1));
        }
        assertThat(chain.catchAll(e -> Effect.succeed(e.length())).run()).isEqualTo(Exit.success(4));
    }

    // The continuation stack is chunked (RunLoop.CHUNK slots a chunk, the first chunk doubling up to that, and
    // slot 0 of each further chunk linking down): the depths around each boundary, both ways across it. Chains of
    // maps fuse into few frames (Node.MapChain), so the frames that fill chunks here are flatMaps.

    @Test
    void chainsEndingAtEveryDepthAroundTheChunkBoundariesRunAndRerun() {
        int c = RunLoop.CHUNK;
        for (int depth : new int[] {c - 2, c - 1, c, c + 1, c + 2, 2 * c - 2, 2 * c - 1, 2 * c, 2 * c + 1, 3 * c}) {
            Effect<String, Integer> maps = Effect.sync(() -> 0);
            Effect<String, Integer> flatMaps = Effect.sync(() -> 0);
            for (int i = 0; i < depth; i++) {
                maps = maps.map(x -> x + 1);
                flatMaps = flatMaps.flatMap(x -> Effect.sync(() -> x + 1));
            }
            assertThat(maps.run()).as("maps, depth %d", depth).isEqualTo(Exit.success(depth));
            assertThat(maps.run()).as("maps again, depth %d", depth).isEqualTo(Exit.success(depth));
            assertThat(flatMaps.run()).as("flatMaps, depth %d", depth).isEqualTo(Exit.success(depth));
        }
    }

    @Test
    void aFailureUnderThreeChunksRunsEveryFinalizerInnermostFirstAndIsCaughtOnTop() {
        int depth = 3 * RunLoop.CHUNK + 7;
        java.util.List<Integer> ran = new java.util.ArrayList<>();
        Effect<String, Integer> chain = Effect.fail("bottom");
        for (int i = 0; i < depth; i++) {
            int level = i;
            chain = chain.flatMap(x -> Effect.succeed(x + 1)); // one frame each (maps would fuse, see MapChain)
            if (i % 100 == 0) {
                chain = chain.ensuring(Effect.sync(() -> ran.add(level)));
            }
        }
        Exit<String, Integer> exit = chain.<String>catchAll(e -> Effect.succeed(e.length())).run();
        assertThat(exit).isEqualTo(Exit.success("bottom".length()));
        java.util.List<Integer> expected = new java.util.ArrayList<>();
        for (int i = 0; i < depth; i += 100) {
            expected.add(i);
        }
        assertThat(ran).isEqualTo(expected);
    }

    @Test
    void aLoopThatCrossesAChunkBoundaryTwiceOnEveryStepRuns() {
        // CHUNK - 1 flatMap frames below a loop whose every step pushes a flatMap frame (the first chunk's last slot)
        // and a map frame (a second chunk), then pops both: each step links a chunk on and off again
        int steps = 20_000;
        AtomicInteger ran = new AtomicInteger();
        Effect<String, Integer> tower = crossingLoop(steps, ran);
        for (int i = 0; i < RunLoop.CHUNK - 1; i++) {
            tower = tower.flatMap(x -> Effect.succeed(x + 1)); // one frame each (maps would fuse, see MapChain)
        }
        assertThat(tower.run()).isEqualTo(Exit.success(RunLoop.CHUNK - 1));
        assertThat(ran).hasValue(steps);
    }

    private static Effect<String, Integer> crossingLoop(int n, AtomicInteger ran) {
        if (n == 0) {
            return Effect.succeed(0);
        }
        return Effect.<String, Integer>sync(() -> {
            ran.incrementAndGet();
            return n;
        }).map(x -> x - 1).flatMap(x -> crossingLoop(x, ran));
    }
}
