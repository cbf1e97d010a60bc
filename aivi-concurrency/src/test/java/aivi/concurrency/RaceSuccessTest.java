package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Concurrency#raceSuccess}: a failure of one branch does not end the race while another may succeed. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class RaceSuccessTest {

    @Test
    void aFailureOfTheCallingBranchBeforeTheOtherSucceedsDoesNotCancelIt() {
        CountDownLatch leftFailed = new CountDownLatch(1);
        Effect<String, String> left = Effect.<String, Unit>sync(() -> {
            leftFailed.countDown();
            return Unit.UNIT;
        }).then(Effect.fail("left failed"));
        Effect<String, String> right = Effect.<String, String>attempt(() -> {
            leftFailed.await(); // succeed only after the left branch has failed
            return "right";
        }, e -> "interrupted");
        assertThat(Concurrency.raceSuccess(left, right).run()).isEqualTo(Exit.success("right"));
    }

    @Test
    void aFailureOfTheOtherBranchDoesNotCancelTheCallingOne() {
        CountDownLatch rightFailed = new CountDownLatch(1);
        Effect<String, String> left = Effect.<String, String>attempt(() -> {
            rightFailed.await();
            return "left";
        }, e -> "interrupted");
        Effect<String, String> right = Effect.<String, Unit>fail("right failed")
                .ensuring(Effect.sync(() -> {
                    rightFailed.countDown();
                    return Unit.UNIT;
                })).as("never");
        assertThat(Concurrency.raceSuccess(left, right).run()).isEqualTo(Exit.success("left"));
    }

    @Test
    void whenAllFailTheRaceFailsWithOneFailureAndTheOtherIsReportedNotLost() {
        // Which failure counts as "last" is decided by which branch's completion is recorded last, which the
        // test cannot order; what must hold is that the race fails with one and the other is not lost.
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler((c, e) -> reported.add(e)))) {
            CountDownLatch leftFailed = new CountDownLatch(1);
            Effect<String, String> left = Effect.<String, Unit>sync(() -> {
                leftFailed.countDown();
                return Unit.UNIT;
            }).then(Effect.fail("left"));
            Effect<String, String> right = Effect.<String, Unit>attempt(() -> {
                leftFailed.await();
                return Unit.UNIT;
            }, e -> "interrupted").then(Effect.fail("right"));
            Exit<String, String> exit = rt.run(Concurrency.raceSuccess(left, right));
            assertThat(exit).isIn(Exit.failure("left"), Exit.failure("right"));
            String other = exit.equals(Exit.failure("left")) ? "right" : "left";
            assertThat(reported).singleElement()
                    .isInstanceOfSatisfying(FailureException.class, e -> assertThat(e.error()).isEqualTo(other));
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }
}
