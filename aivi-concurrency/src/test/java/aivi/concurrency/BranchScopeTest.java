package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@code par}/{@code race} branch and a timed effect are scopes for what they spawn, also the branch that
 * runs on the calling fiber: its children are cancelled and awaited when the branch ends.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class BranchScopeTest {

    /** Spawns a child that runs until cancelled and records its finalizer; returns once the child runs. */
    private static Effect<String, Unit> spawnForever(AtomicBoolean finalized) {
        return Effect.suspend(() -> {
            CountDownLatch running = new CountDownLatch(1);
            Effect<String, Unit> child = Effect.<String, Unit>sync(() -> {
                running.countDown();
                return Unit.UNIT;
            }).then(Effect.<String, Unit>never()).ensuring(Effect.sync(() -> {
                finalized.set(true);
                return Unit.UNIT;
            }));
            return Concurrency.spawn(child).then(Effect.attempt(() -> {
                running.await();
                return Unit.UNIT;
            }, e -> "interrupted"));
        });
    }

    @Test
    void childrenOfTheCallingFibersParBranchAreAwaitedBeforeParReturns() {
        AtomicBoolean left = new AtomicBoolean();
        AtomicBoolean right = new AtomicBoolean();
        Effect<String, Boolean> e = Effect.gen(d -> {
            d.await(Concurrency.par(spawnForever(left).as(1), spawnForever(right).as(2)));
            return left.get() && right.get();
        });
        assertThat(e.runOrThrow()).isTrue();
    }

    @Test
    void childrenOfTheCallingFibersRaceBranchAreAwaitedBeforeRaceReturns() {
        AtomicBoolean left = new AtomicBoolean();
        Effect<String, Boolean> e = Effect.gen(d -> {
            d.await(Concurrency.race(spawnForever(left).as(1), Effect.<String, Integer>never()));
            return left.get();
        });
        assertThat(e.runOrThrow()).isTrue();
    }

    @Test
    void childrenOfATimedEffectAreAwaitedBeforeTimeoutWithReturns() {
        AtomicBoolean child = new AtomicBoolean();
        Effect<String, Boolean> e = Effect.gen(d -> {
            d.await(Concurrency.timeoutWith(60_000, "slow", spawnForever(child).as(1)));
            return child.get();
        });
        assertThat(e.runOrThrow()).isTrue();
    }

    @Test
    void aFailingChildOfTheCallingFibersBranchFailsPar() {
        Effect<String, Pair<Unit, Integer>> e = Concurrency.par(
                Concurrency.spawn(Effect.<String, Unit>fail("child of left")).then(Effect.<String, Unit>never()),
                Effect.<String, Integer>never());
        assertThat(e.run()).isEqualTo(Exit.failure("child of left"));
    }
}
