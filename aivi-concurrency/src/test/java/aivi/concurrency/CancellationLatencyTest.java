package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cancellation latency on the real clock: a fiber parked in any library primitive ends promptly after
 * cancel, and timeoutWith(10, ...) around a fiber parked for 60 s returns promptly. The bound is generous
 * (a loaded CI machine); a missed cancellation would take 60 s or forever.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CancellationLatencyTest {

    /** Generous: a prompt cancel takes microseconds; a missed one 60 s or forever. */
    static final Duration BOUND = Duration.ofSeconds(5);

    /** A library primitive a fiber can be parked in. */
    enum Parked {
        SLEEP(s -> Concurrency.sleep(60_000)),
        NEVER(s -> Effect.never()),
        JOIN(s -> Concurrency.spawn(Effect.<String, Unit>never()).flatMap(Task::join)),
        AWAIT(s -> Concurrency.spawn(Effect.<String, Unit>never()).flatMap(t -> t.<String>await()).asUnit()),
        SCOPE_JOIN_ALL(s -> Concurrency.scope(sc -> sc.spawn(Concurrency.<String>sleep(60_000))
                .then(sc.<String>joinAll()))),
        SCOPE_CLOSE_AFTER_BODY(s -> Concurrency.scope(sc -> sc.spawn(Effect.<String, Unit>never())
                .then(Effect.<String, Unit>never()))),
        PAR(s -> Concurrency.par(Effect.<String>unit(), Concurrency.<String>sleep(60_000)).asUnit()),
        RACE(s -> Concurrency.race(Concurrency.<String>sleep(60_000), Effect.<String, Unit>never())),
        TIMEOUT_WITH(s -> Concurrency.timeoutWith(60_000, "t", Effect.<String, Unit>never())),
        RETRY(s -> Concurrency.retry(3, Concurrency.<String>sleep(60_000)));

        final Function<Void, Effect<String, Unit>> effect;

        Parked(Function<Void, Effect<String, Unit>> effect) {
            this.effect = effect;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Parked.class)
    void aFiberParkedInAPrimitiveEndsPromptlyAfterCancel(Parked parked) {
        EventLog log = new EventLog();
        Exit<String, Long> exit = Effect.<String, Long>gen(d -> {
            CountDownLatch entered = new CountDownLatch(1);
            Task<String, Unit> t = d.await(Concurrency.spawn(Effect.<String, Unit>sync(() -> {
                entered.countDown();
                return Unit.UNIT;
            }).then(parked.effect.apply(null)).ensuring(log.add("finalized"))));
            TestFibers.await(entered, "the task to start");
            TestFibers.awaitParked(t);
            long start = System.nanoTime();
            d.await(t.cancel());
            return System.nanoTime() - start;
        }).run();
        assertThat(exit).isInstanceOf(Exit.Success.class);
        long nanos = ((Exit.Success<String, Long>) exit).value();
        assertThat(Duration.ofNanos(nanos)).isLessThan(BOUND);
        assertThat(log.events()).containsExactly("finalized");
    }

    @Test
    void timeoutWith10AroundAFiberParkedFor60SecondsReturnsPromptly() {
        long start = System.nanoTime();
        Exit<String, Unit> exit = Concurrency.timeoutWith(10, "timeout", Concurrency.<String>sleep(60_000)).run();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(exit).isEqualTo(Exit.failure("timeout"));
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(10)).isLessThan(BOUND);
    }

    @Test
    void timeoutWith10AroundAJoinOfAFiberParkedFor60SecondsReturnsPromptly() {
        long start = System.nanoTime();
        Exit<String, Unit> exit = Concurrency.<String, Unit>scope(s -> s.spawn(Concurrency.<String>sleep(60_000))
                .flatMap(t -> Concurrency.timeoutWith(10, "timeout", t.join()))).run();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(exit).isEqualTo(Exit.failure("timeout"));
        assertThat(took).isLessThan(BOUND);
    }

    /**
     * A fiber spinning in a pure loop of fused {@code succeed(x).flatMap(...)} steps (the run loop takes those
     * in a tight inner loop) is cancelled: the loop checks the signal on every step, so the cancel ends it.
     */
    @Test
    void aPureFlatMapLoopThatNeverParksIsCancelled() throws InterruptedException {
        CountDownLatch spinning = new CountDownLatch(1);
        Exit<String, Exit<String, Integer>> exit = Concurrency.<String, Integer>spawn(spin(0, spinning))
                .flatMap(task -> Effect.<String, Unit>attempt(() -> {
                    spinning.await();
                    return Unit.UNIT;
                }, e -> "interrupted").flatMap(u -> task.<String>cancel()).flatMap(u -> task.<String>await()))
                .run();
        assertThat(exit).isEqualTo(Exit.success(Exit.cancelled()));
    }

    private static Effect<String, Integer> spin(int n, CountDownLatch spinning) {
        return Effect.<String, Integer>succeed(n).flatMap(x -> {
            if (x == 10_000) {
                spinning.countDown();
            }
            return spin(x + 1, spinning);
        });
    }
}
