package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A spawn skips the stack probe before {@code Thread.start} only when the spawning step runs at a known,
 * shallow depth ({@link Fiber#loopNesting}, see its comment in Fiber). A step classified shallow while user
 * frames of unknown depth lie beneath it could start a thread on an almost exhausted stack, which can leave
 * the child runnable in name and never run (a hang). These tests read the classification a step sees, at
 * every place a step can run: the fiber's base loop, nested library loops, gen bodies (through the inline
 * step of {@code await} and through a nested loop), a gen inside a scope inside a gen, and after each of
 * them has returned or thrown.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(60)
class SpawnStackDepthTest {

    /** A step that yields the nesting it runs at. */
    private static Effect<String, Integer> nesting() {
        return new Node.Prim<>(fiber -> Exit.success(fiber.loopNesting));
    }

    private static boolean shallow(int nesting) {
        return nesting <= Fiber.SHALLOW_NESTING;
    }

    @Test
    void theBaseLoopOfAFiberIsShallow() {
        Exit<String, Integer> exit = Concurrency.spawn(nesting()).flatMap(Task::join).run();
        assertThat(exit).isEqualTo(Exit.success(1));
    }

    @Test
    void aScopeBodyNestsOneLoopAndStaysShallowAndTheCountIsPutBack() {
        Effect<String, List<Integer>> seen = Concurrency.spawn(
                nesting().flatMap(before -> Concurrency.scope(s -> nesting())
                        .flatMap(inside -> Concurrency.scope(s -> Concurrency.scope(s2 -> nesting()))
                                .flatMap(twoDeep -> nesting()
                                        .map(after -> List.of(before, inside, twoDeep, after))))))
                .flatMap(Task::join);
        Exit<String, List<Integer>> exit = seen.run();
        assertThat(exit).isEqualTo(Exit.success(List.of(1, 2, 3, 1)));
        assertThat(Fiber.SHALLOW_NESTING).as("a scope inside a scope spawns without a probe").isGreaterThanOrEqualTo(3);
    }

    @Test
    void everyStepOfAGenBodyIsDeepWhetherAwaitedInlineOrInANestedLoop() {
        List<Integer> seen = new ArrayList<>();
        Effect<String, Integer> after = Concurrency.spawn(Effect.<String, Integer>gen(d -> {
            seen.add(d.await(nesting())); // a Prim: a nested loop
            seen.add(d.await(nesting().flatMap(n -> Effect.succeed(n)))); // a chain: a nested loop
            // a scope inside the gen body, and a gen inside that scope
            seen.add(d.await(Concurrency.scope(s -> nesting())));
            seen.add(d.await(Concurrency.scope(s -> Effect.<String, Integer>gen(d2 -> d2.await(nesting())))));
            return 0;
        }).flatMap(x -> nesting())).flatMap(Task::join);
        Exit<String, Integer> exit = after.run();
        assertThat(exit).as("after the gen block the base loop is shallow again").isEqualTo(Exit.success(1));
        assertThat(seen).hasSize(4).allSatisfy(n -> assertThat(shallow(n)).as("nesting %d", n).isFalse());
    }

    @Test
    void aGenBlockThatFailsOrThrowsStillPutsTheCountBack() {
        Effect<String, Integer> failing = Effect.<String, Integer>gen(d -> {
            throw d.fail("boom");
        });
        Effect<String, Integer> throwing = Effect.<String, Integer>gen(d -> {
            d.await(nesting());
            throw new IllegalStateException("a defect from the body");
        });
        Effect<String, List<Integer>> seen = Concurrency.spawn(
                failing.catchAll(e -> nesting())
                        .flatMap(a -> throwing.<String>exit().flatMap(ignored -> nesting())
                                .map(b -> List.of(a, b))))
                .flatMap(Task::join);
        assertThat(seen.run()).isEqualTo(Exit.success(List.of(1, 1)));
    }

    @Test
    void aSpawnFromDeepInsideAGenBodyStillStartsAndJoins() {
        // Recursion of user frames inside the body, then a spawn at each depth: the probed path.
        Effect<String, Integer> deep = Effect.gen(d -> recurse(d, 2_000));
        assertThat(deep.run()).isEqualTo(Exit.success(2_000));
    }

    private static int recurse(Direct<String> d, int depth) {
        if (depth == 0) {
            return 0;
        }
        int below = recurse(d, depth - 1);
        if (depth % 250 == 0) {
            Task<String, Integer> t = d.await(Concurrency.spawn(nesting()));
            assertThat(shallow(d.await(t.join()))).as("the child's own base loop").isTrue();
        }
        return below + 1;
    }
}
