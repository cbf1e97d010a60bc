package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A defect's stack trace names the user's lambda that threw, and its EffectTrace the effect chain around it. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EffectTraceTest {

    private static EffectTrace traceOf(Throwable t) {
        return Arrays.stream(t.getSuppressed()).filter(s -> s instanceof EffectTrace).map(s -> (EffectTrace) s)
                .findFirst().orElseThrow(() -> new AssertionError("no EffectTrace on " + t));
    }

    private static List<String> frames(EffectTrace trace) {
        return Arrays.stream(trace.getStackTrace()).map(e -> e.getClassName() + "." + e.getMethodName()
                + "(" + e.getFileName() + ")").toList();
    }

    private static Throwable defectOf(Exit<?, ?> exit) {
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        return ((Exit.Defect<?, ?>) exit).cause();
    }

    private static int divide(int x) {
        return 10 / x;
    }

    @Test
    void theDefectNamesTheLambdaThatThrewAndItsTraceThePendingStepsAndTheFiber() {
        Effect<String, Integer> program = Effect.<String, Integer>succeed(0)
                .map(EffectTraceTest::divide)
                .flatMap(x -> Effect.succeed(x + 1))
                .<String>catchAll(e -> Effect.succeed(-1))
                .ensuring(Effect.unit());
        Throwable cause = defectOf(program.run());
        assertThat(cause).isInstanceOf(ArithmeticException.class);
        assertThat(cause.getStackTrace()[0].getMethodName()).isEqualTo("divide"); // the user's code, unchanged
        List<String> frames = frames(traceOf(cause));
        assertThat(frames).containsSubsequence(
                "aivi.concurrency.EffectTraceTest.flatMap(EffectTraceTest.java)",
                "aivi.concurrency.EffectTraceTest.catchAll(EffectTraceTest.java)",
                "aivi.concurrency.Effect.ensuring(Effect.java)");
        assertThat(frames.getLast()).startsWith("aivi.concurrency.Fiber.run(aivi-fiber-");
    }

    @Test
    void aDefectThatCrossesFibersListsEachFiberItPassedThrough() {
        Effect<String, Integer> child = Effect.<String, Integer>succeed(0).map(EffectTraceTest::divide)
                .map(x -> x * 2);
        // par's second branch runs on a new fiber; its defect fails par on the calling fiber
        Effect<String, Integer> parent = Concurrency.par(Effect.<String, Integer>succeed(1), child).map(p -> p.second());
        Throwable cause = defectOf(parent.run());
        List<String> frames = frames(traceOf(cause));
        assertThat(frames.stream().filter(f -> f.startsWith("aivi.concurrency.Fiber.run("))).hasSize(2);
        assertThat(frames.getFirst()).isEqualTo("aivi.concurrency.EffectTraceTest.map(EffectTraceTest.java)");
        assertThat(Arrays.stream(cause.getSuppressed()).filter(s -> s instanceof EffectTrace)).hasSize(1);
    }

    @Test
    void aDefectRethrownManyTimesKeepsABoundedTrace() {
        IllegalStateException shared = new IllegalStateException("thrown again and again");
        Effect<String, Integer> boom = Effect.<String, Integer>succeed(1).<Integer>map(x -> {
            throw shared;
        }).flatMap(x -> Effect.succeed(x));
        for (int i = 0; i < 200; i++) {
            defectOf(boom.run());
        }
        assertThat(traceOf(shared).getStackTrace().length).isLessThanOrEqualTo(64);
        assertThat(shared.getSuppressed()).hasSize(1);
    }

    @Test
    void theTraceOfADefectUnderAStackOfSeveralChunksFollowsTheLinksDown() {
        // CHUNK + 3 pending steps, maps and flatMaps in turn (so the maps do not fuse): the first chunk is full and
        // the second holds its link and two frames, so all but two of the steps are in the chunk below the top one
        Effect<String, Integer> chain = Effect.<String, Integer>sync(() -> 0).map(EffectTraceTest::divide);
        for (int i = 0; i < RunLoop.CHUNK + 2; i++) {
            chain = i % 2 == 0 ? chain.flatMap(x -> Effect.succeed(x + 1)) : chain.map(x -> x + 1);
        }
        Throwable cause = defectOf(chain.run());
        List<String> frames = frames(traceOf(cause));
        assertThat(frames).hasSize(64); // capped
        assertThat(frames.subList(0, 63)).containsOnly("aivi.concurrency.EffectTraceTest.map(EffectTraceTest.java)",
                "aivi.concurrency.EffectTraceTest.flatMap(EffectTraceTest.java)");
        assertThat(frames.getLast()).startsWith("aivi.concurrency.Fiber.run(aivi-fiber-");
    }

    @Test
    void anExceptionWithoutSuppressionIsLeftAlone() {
        RuntimeException plain = new RuntimeException("no suppression", null, false, false) {
        };
        Throwable cause = defectOf(Effect.<String, Integer>sync(() -> {
            throw plain;
        }).map(x -> x + 1).run());
        assertThat(cause).isSameAs(plain);
        assertThat(cause.getSuppressed()).isEmpty();
    }
}
