package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class EffectTest {

    @Test
    void runReturnsSuccess() {
        assertThat(Effect.succeed(42).run()).isEqualTo(Exit.success(42));
    }

    @Test
    void runReturnsFailure() {
        assertThat(Effect.fail("boom").run()).isEqualTo(Exit.failure("boom"));
    }

    @Test
    void runReturnsDefectWithTheVeryExceptionThrown() {
        IllegalStateException bug = new IllegalStateException("bug");
        Exit<String, Integer> exit = Effect.<String, Integer>sync(() -> {
            throw bug;
        }).run();
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        assertThat(((Exit.Defect<String, Integer>) exit).cause()).isSameAs(bug);
    }

    @Test
    void runReturnsCancelledForAnEffectThatJoinsACancelledTask() {
        Effect<String, Integer> joinCancelled = Effect.gen(d -> {
            Task<String, Integer> t = d.await(Concurrency.spawn(Effect.<String, Integer>never()));
            d.await(t.cancel());
            return d.await(t.join());
        });
        assertThat(joinCancelled.run()).isEqualTo(Exit.cancelled());
    }

    @Test
    void effectsAreLazyAndReRunnable() {
        AtomicInteger runs = new AtomicInteger();
        Effect<String, Integer> count = Effect.sync(runs::incrementAndGet);
        assertThat(runs).hasValue(0);
        assertThat(count.runOrThrow()).isEqualTo(1);
        assertThat(count.runOrThrow()).isEqualTo(2);
    }

    @Test
    void mapAndFlatMapCompose() {
        Effect<String, Integer> e = Effect.<String, Integer>succeed(20).flatMap(a -> Effect.succeed(a + 1)).map(x -> x * 2);
        assertThat(e.runOrThrow()).isEqualTo(42);
    }

    @Test
    void anExceptionInMapIsADefectNotAFailure() {
        RuntimeException bug = new RuntimeException("in map");
        Exit<String, Integer> exit = Effect.<String, Integer>succeed(1).<Integer>map(x -> {
            throw bug;
        }).catchAll(e -> Effect.<String, Integer>succeed(-1)).run();
        assertThat(exit).isEqualTo(Exit.defect(bug));
    }

    @Test
    void catchAllRecoversTypedFailuresOnly() {
        assertThat(Effect.<String, Integer>fail("e").catchAll(e -> Effect.succeed(e.length())).runOrThrow())
                .isEqualTo(1);
    }

    @Test
    void catchDefectRecoversDefects() {
        Effect<String, String> e = Effect.<String, String>sync(() -> {
            throw new IllegalArgumentException("x");
        }).catchDefect(t -> Effect.succeed(t.getMessage()));
        assertThat(e.runOrThrow()).isEqualTo("x");
    }

    @Test
    void mapErrorTransformsTheError() {
        assertThat(Effect.<String, Integer>fail("abc").mapError(String::length).run()).isEqualTo(Exit.failure(3));
    }

    @Test
    void foldHandlesBothOutcomes() {
        assertThat(Effect.<String, Integer>fail("abc").<String, Integer>fold(String::length, x -> x).runOrThrow())
                .isEqualTo(3);
        assertThat(Effect.<String, Integer>succeed(7).<String, Integer>fold(String::length, x -> x).runOrThrow())
                .isEqualTo(7);
    }

    @Test
    void attemptTurnsExceptionsIntoTypedErrors() {
        Effect<String, String> e = Effect.attempt(() -> {
            throw new IOException("disk");
        }, ex -> "io: " + ex.getMessage());
        assertThat(e.run()).isEqualTo(Exit.failure("io: disk"));
    }

    @Test
    void attemptTreatsErrorsAsDefects() {
        AssertionError err = new AssertionError("no");
        Effect<String, String> e = Effect.attempt(() -> {
            throw err;
        }, ex -> "mapped");
        assertThat(e.run()).isEqualTo(Exit.defect(err));
    }

    @Test
    void exitCapturesEveryOutcomeAsAValue() {
        assertThat(Effect.<String, Integer>fail("x").exit().runOrThrow()).isEqualTo(Exit.failure("x"));
        assertThat(Effect.<String, Integer>succeed(1).exit().runOrThrow()).isEqualTo(Exit.success(1));
    }

    @Test
    void zipThenAndAsSequence() {
        Effect<String, Pair<Integer, String>> z = Effect.<String, Integer>succeed(1).zip(Effect.succeed("a"));
        assertThat(z.runOrThrow()).isEqualTo(Pair.of(1, "a"));
        assertThat(Effect.<String, Integer>succeed(1).then(Effect.succeed("b")).runOrThrow()).isEqualTo("b");
        assertThat(Effect.<String, Integer>succeed(1).as("c").runOrThrow()).isEqualTo("c");
        assertThat(Effect.<String, Integer>succeed(1).zipLeft(Effect.succeed("d")).runOrThrow()).isEqualTo(1);
    }

    @Test
    void runOrThrowThrowsFailureExceptionWithTheTypedError() {
        assertThatThrownBy(() -> Effect.fail("nope").runOrThrow())
                .isInstanceOfSatisfying(FailureException.class, e -> assertThat(e.error()).isEqualTo("nope"));
    }

    @Test
    void runOrThrowRethrowsAnUncheckedDefect() {
        IllegalStateException bug = new IllegalStateException("bug");
        assertThatThrownBy(() -> Effect.sync(() -> {
            throw bug;
        }).runOrThrow()).isSameAs(bug);
    }

    @Test
    void failRejectsNullWithAClearMessage() {
        assertThatThrownBy(() -> Effect.fail(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("error");
    }

    @Test
    void flatMapReturningNullIsADefectNamingTheCulprit() {
        Exit<String, Integer> exit = Effect.<String, Integer>succeed(1).<Integer>flatMap(x -> null).run();
        assertThat(exit).isInstanceOfSatisfying(Exit.Defect.class,
                d -> assertThat(d.cause()).hasMessageContaining("flatMap"));
    }

    @Test
    void genRunsSubEffectsInDirectStyle() {
        Effect<String, Integer> e = Effect.gen(d -> {
            int a = d.await(Effect.succeed(20));
            int b = d.await(Effect.succeed(22));
            return a + b;
        });
        assertThat(e.runOrThrow()).isEqualTo(42);
    }

    @Test
    void genFailsWithTheTypedErrorOfAnAwaitedEffect() {
        AtomicInteger after = new AtomicInteger();
        Effect<String, Integer> e = Effect.gen(d -> {
            d.await(Effect.<String, Integer>fail("inner"));
            after.incrementAndGet();
            return 1;
        });
        assertThat(e.run()).isEqualTo(Exit.failure("inner"));
        assertThat(after).hasValue(0);
    }

    @Test
    void genFailWithTheHandlesError() {
        Effect<String, Integer> e = Effect.gen(d -> {
            throw d.fail("direct");
        });
        assertThat(e.run()).isEqualTo(Exit.failure("direct"));
    }

    @Test
    void genRethrowsAnAwaitedDefectAsTheOriginalException() {
        IllegalStateException bug = new IllegalStateException("deep");
        Effect<String, String> e = Effect.gen(d -> {
            try {
                d.await(Effect.<String, Integer>sync(() -> {
                    throw bug;
                }));
                return "not reached";
            } catch (IllegalStateException caught) {
                return caught == bug ? "same" : "other";
            }
        });
        assertThat(e.runOrThrow()).isEqualTo("same");
    }

    @Test
    void genAwaitOutsideItsBlockIsRejected() {
        Direct<?>[] leaked = new Direct<?>[1];
        Effect.<String, Integer>gen(d -> {
            leaked[0] = d;
            return 1;
        }).runOrThrow();
        assertThatThrownBy(() -> leaked[0].await(Effect.succeed(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside");
    }
}
