package aivi.concurrency;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A typed failure or a cancellation that leaves {@code d.await} cannot be swallowed by the block's code. */
class DirectSwallowTest {

    @Test
    void aBlockThatCatchesTheFailureAndReturnsStillFails() {
        Effect<String, String> block = Effect.gen(d -> {
            try {
                d.await(Effect.<String, String>fail("x"));
            } catch (RuntimeException swallowed) {
                // the hazard: the failure is caught and the block goes on
            }
            return "went on";
        });
        assertThat(block.run()).isEqualTo(Exit.failure("x"));
    }

    @Test
    void aBlockThatCatchesThrowableAroundFailStillFails() {
        Effect<String, Integer> block = Effect.gen(d -> {
            try {
                throw d.fail("not found");
            } catch (Throwable swallowed) {
                return 0;
            }
        });
        assertThat(block.run()).isEqualTo(Exit.failure("not found"));
    }

    @Test
    void theFirstFailureDecidesEvenIfALaterOneEscapes() {
        Effect<String, String> block = Effect.gen(d -> {
            try {
                d.await(Effect.<String, String>fail("first"));
            } catch (RuntimeException swallowed) {
                // go on
            }
            return d.await(Effect.<String, String>fail("second"));
        });
        assertThat(block.run()).isEqualTo(Exit.failure("first"));
    }

    @Test
    void cleanupAfterASwallowedFailureStillRuns() {
        List<String> log = new ArrayList<>();
        Effect<String, String> block = Effect.gen(d -> {
            try {
                d.await(Effect.<String, String>fail("x"));
            } catch (RuntimeException swallowed) {
                d.await(Effect.sync(() -> log.add("cleanup")));
            }
            return "went on";
        });
        assertThat(block.run()).isEqualTo(Exit.failure("x"));
        assertThat(log).containsExactly("cleanup");
    }

    @Test
    void aDefectAfterASwallowedFailureWinsAndKeepsTheFailureAsSuppressed() {
        IllegalStateException bug = new IllegalStateException("bug");
        Effect<String, String> block = Effect.gen(d -> {
            try {
                d.await(Effect.<String, String>fail("x"));
            } catch (RuntimeException swallowed) {
                // go on
            }
            throw bug;
        });
        Exit<String, String> exit = block.run();
        assertThat(exit).isEqualTo(Exit.defect(bug));
        assertThat(bug.getSuppressed()).filteredOn(s -> !(s instanceof EffectTrace)).singleElement().satisfies(
                s -> assertThat(s).hasMessageContaining("failed with x"));
    }

    @Test
    void aFailureRecoveredInsideTheAwaitedEffectIsNotAFailureOfTheBlock() {
        Effect<String, String> block = Effect.gen(d -> {
            String v = d.await(Effect.<String, String>fail("x").catchAll(e -> Effect.succeed("recovered " + e)));
            Exit<String, String> outcome = d.await(Effect.<String, String>fail("y").exit());
            return v + ", " + outcome;
        });
        assertThat(block.runOrThrow()).isEqualTo("recovered x, Failure[error=y]");
    }

    @Test
    @SuppressWarnings("try")
    void aSwallowedCancellationStillEndsTheBlockCancelled() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Effect<String, String> block = Effect.gen(d -> {
            try {
                started.countDown();
                d.await(Effect.never());
            } catch (RuntimeException swallowed) {
                // the hazard: the cancellation is caught and the block goes on
            }
            return "went on";
        });
        Effect<String, Exit<String, String>> program = Effect.gen(d -> {
            Task<String, String> task = d.await(Concurrency.spawn(block));
            d.await(Effect.sync(() -> {
                try {
                    started.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return Unit.UNIT;
            }));
            d.await(task.cancel());
            return d.await(task.await());
        });
        assertThat(program.runOrThrow()).isEqualTo(Exit.cancelled());
    }

    @Test
    void awaitOfNullNamesTheArgument() {
        Effect<String, String> block = Effect.gen(d -> d.await(null));
        Exit<String, String> exit = block.run();
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        assertThatThrownBy(exit::getOrThrow).isInstanceOf(NullPointerException.class)
                .hasMessage("Direct.await: effect must not be null");
    }
}
