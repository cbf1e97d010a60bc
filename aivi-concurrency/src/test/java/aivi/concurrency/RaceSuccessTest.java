package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

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
    void whenAllFailTheRaceFailsWithTheLastFailure() {
        CountDownLatch leftFailed = new CountDownLatch(1);
        Effect<String, String> left = Effect.<String, Unit>sync(() -> {
            leftFailed.countDown();
            return Unit.UNIT;
        }).then(Effect.fail("first"));
        Effect<String, String> right = Effect.<String, Unit>attempt(() -> {
            leftFailed.await();
            return Unit.UNIT;
        }, e -> "interrupted").then(Effect.fail("last"));
        assertThat(Concurrency.raceSuccess(left, right).run()).isEqualTo(Exit.failure("last"));
    }
}
