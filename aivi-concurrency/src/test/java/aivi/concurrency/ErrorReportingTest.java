package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What reaches the runtime's error handler: every error nobody observed, and nothing twice. */
@Timeout(30)
class ErrorReportingTest {

    private final List<Throwable> reported = new CopyOnWriteArrayList<>();

    private EffectRuntime runtime() {
        return EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler((context, error) -> reported.add(error)));
    }

    /** Counts {@code mine} down, then waits for {@code other}. */
    private static Effect<String, Unit> barrier(CountDownLatch mine, CountDownLatch other) {
        return Effect.attempt(() -> {
            mine.countDown();
            other.await();
            return Unit.UNIT;
        }, e -> "interrupted");
    }

    @Test
    void aBodyRethrowingTheErrorOfTheChildItJoinedIsNotReportedAsASecondError() {
        try (EffectRuntime rt = runtime()) {
            Effect<String, Integer> body = Concurrency.scope(s ->
                    s.spawn(Effect.<String, Integer>fail("child failed")).flatMap(Task::join));
            assertThat(rt.run(body)).isEqualTo(Exit.failure("child failed"));
            assertThat(reported).isEmpty();
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void aSecondDistinctFailureInParIsReportedNotLost() {
        try (EffectRuntime rt = runtime()) {
            // Both sides reach their failure inside a mask (a barrier of two latches), so both fail for real;
            // whichever is first is the outcome, the other must reach the handler.
            CountDownLatch leftIn = new CountDownLatch(1);
            CountDownLatch rightIn = new CountDownLatch(1);
            Effect<String, Pair<Integer, Integer>> both = Concurrency.par(
                    barrier(leftIn, rightIn).then(Effect.<String, Integer>fail("left")).uncancellable(),
                    barrier(rightIn, leftIn).then(Effect.<String, Integer>fail("right")).uncancellable());
            Exit<String, Pair<Integer, Integer>> exit = rt.run(both);
            assertThat(exit).isIn(Exit.failure("left"), Exit.failure("right"));
            String other = exit.equals(Exit.failure("left")) ? "right" : "left";
            assertThat(reported).singleElement()
                    .isInstanceOfSatisfying(FailureException.class, e -> assertThat(e.error()).isEqualTo(other));
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }
}
