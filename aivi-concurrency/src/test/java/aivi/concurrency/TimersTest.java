package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runtime's shared timer queue on a {@link TestClock}: timers fire exactly when virtual time passes their
 * deadlines, in deadline order, cancelled ones never, and one thread serves them all.
 */
@Timeout(30)
class TimersTest {
    private static final long MS = 1_000_000L;

    private final TestClock clock = new TestClock();
    private EffectRuntime rt;

    @BeforeEach
    void createRuntime() {
        rt = EffectRuntime.create(RuntimeConfig.defaults().withClock(clock));
    }

    @AfterEach
    void closeRuntime() {
        rt.close();
    }

    @Test
    void timersFireInDeadlineOrderWhenVirtualTimePassesAndCancelledOnesNever() throws Exception {
        Random random = new Random(42);
        int n = 2_000;
        ConcurrentLinkedQueue<Long> fired = new ConcurrentLinkedQueue<>();
        List<Timer> timers = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        CountDownLatch allFired = new CountDownLatch(n / 2);
        for (int i = 0; i < n; i++) {
            long deadline = (1 + random.nextInt(500)) * MS;
            timers.add(rt.timers.schedule(deadline, () -> {
                fired.add(deadline);
                allFired.countDown();
            }));
            if (i % 2 == 0) {
                expected.add(deadline);
            }
        }
        for (int i = 1; i < n; i += 2) {
            timers.get(i).cancel();
        }
        assertThat(rt.timers.size()).isEqualTo(n / 2);
        clock.awaitSleepers(1, TestFibers.GENEROUS); // the one timer thread, parked until the earliest deadline
        assertThat(clock.sleepers()).as("one thread for all timers").isEqualTo(1);
        // The thread may still be parked for a timer cancelled meanwhile (cancelling does not wake it), and a
        // sleeper entry it was just woken from lingers until it runs again; what must hold is that it settles
        // parked no later than the earliest live deadline.
        awaitParkedNoLaterThan(expected.stream().mapToLong(Long::longValue).min().orElseThrow());
        assertThat(clock.sleepers()).as("one thread for all timers").isEqualTo(1);

        clock.advance(Duration.ofMillis(500));

        assertThat(allFired.await(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(new ArrayList<>(fired)).isSorted().hasSize(n / 2);
        assertThat(fired).containsExactlyInAnyOrderElementsOf(expected);
        for (int i = 0; i < n; i++) {
            assertThat(timers.get(i).fired()).as("timer %d fired", i).isEqualTo(i % 2 == 0);
        }
        assertThat(rt.timers.size()).isZero();
    }

    @Test
    void aTimerArmedEarlierThanTheParkedDeadlineWakesTheThreadAndFiresFirst() throws Exception {
        CountDownLatch late = new CountDownLatch(1);
        CountDownLatch early = new CountDownLatch(1);
        rt.timers.schedule(1_000 * MS, late::countDown);
        clock.awaitSleepers(1, TestFibers.GENEROUS);
        assertThat(clock.nextDeadline()).isEqualTo(1_000 * MS);

        rt.timers.schedule(10 * MS, early::countDown);
        awaitNextDeadline(10 * MS);
        clock.advance(Duration.ofMillis(10));

        assertThat(early.await(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(late.getCount()).as("the later timer is still pending").isEqualTo(1);
        clock.advance(Duration.ofMillis(990));
        assertThat(late.await(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    }

    @Test
    void aCancelledTimerLeavesNothingBehindAndTheIdleThreadIsNotASleeper() throws Exception {
        Timer t = rt.timers.schedule(1_000 * MS, () -> {
            throw new AssertionError("a cancelled timer fired");
        });
        clock.awaitSleepers(1, TestFibers.GENEROUS);
        t.cancel();
        t.cancel(); // idempotent
        assertThat(rt.timers.size()).isZero();
        clock.advance(Duration.ofMillis(1_000)); // the thread wakes, finds nothing and parks without a deadline
        awaitNoSleepers();
        assertThat(t.fired()).isFalse();
    }

    private void awaitParkedNoLaterThan(long deadline) {
        long until = System.nanoTime() + TestFibers.GENEROUS.toNanos();
        while (clock.nextDeadline() > deadline) {
            assertThat(System.nanoTime() - until)
                    .as("timed out waiting for the timer thread to park by %d ns, parked for %d", deadline,
                            clock.nextDeadline())
                    .isNegative();
            Thread.yield();
        }
    }

    private void awaitNextDeadline(long deadline) throws InterruptedException {
        long until = System.nanoTime() + TestFibers.GENEROUS.toNanos();
        while (clock.nextDeadline() != deadline) {
            assertThat(System.nanoTime() - until).as("timed out waiting for the timer thread to re-park").isNegative();
            Thread.yield();
        }
    }

    private void awaitNoSleepers() throws InterruptedException {
        long until = System.nanoTime() + TestFibers.GENEROUS.toNanos();
        while (clock.sleepers() != 0) {
            assertThat(System.nanoTime() - until).as("timed out waiting for the timer thread to idle").isNegative();
            Thread.yield();
        }
    }
}
