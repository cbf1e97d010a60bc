package aivi.concurrency;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static aivi.concurrency.Concurrency.*;
import static org.assertj.core.api.Assertions.assertThat;

/** forEachPar, mapPar, closeWhenDone, repeat, ticker, and the receiver's queries. */
class ChannelToolsTest {

    /** A channel holding {@code 1..n}, closed. */
    private static <E> Effect<E, Receiver<Integer>> filled(int n) {
        return Concurrency.<E, Integer>make().flatMap(ch -> Effect.gen(d -> {
            for (int i = 1; i <= n; i++) {
                d.await(ch.first().send(i));
            }
            d.await(ch.first().close());
            return ch.second();
        }));
    }

    @Test
    void forEachParProcessesEveryValueOnceWithAtMostNAtATime() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ConcurrentHashMap<Integer, Integer> seen = new ConcurrentHashMap<>();
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Unit> program = ChannelToolsTest.<String>filled(20).flatMap(in -> forEachPar(in, 3,
                    v -> Effect.<String, Integer>sync(() -> {
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                        seen.merge(v, 1, Integer::sum);
                        return v;
                    }).zipLeft(Concurrency.sleep(10)).zipLeft(Effect.sync(running::decrementAndGet))));
            assertThat(vr.run(program)).isEqualTo(Exit.success(Unit.UNIT));
            assertThat(vr.nowMillis()).isEqualTo(70); // 20 values of 10 ms, 3 at a time: 7 rounds
        }
        assertThat(seen).hasSize(20).allSatisfy((v, times) -> assertThat(times).isEqualTo(1));
        assertThat(most).hasValue(3);
    }

    @Test
    void forEachParFailsFastAndLeavesTheRestInTheChannel() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Integer> program = ChannelToolsTest.<String>filled(100).flatMap(in ->
                    Concurrency.<String, Integer>forEachPar(in, 2, v -> v == 5 ? Effect.<String, Unit>fail("bad " + v) : Concurrency.<String>sleep(10))
                            .<String>catchAll(e -> Effect.succeed(Unit.UNIT)).map(u -> in.size()));
            Exit<String, Integer> exit = vr.run(program);
            assertThat(exit.getValue()).get().satisfies(left -> assertThat(left).isBetween(90, 95));
        }
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Unit> failing = ChannelToolsTest.<String>filled(10).flatMap(in ->
                    forEachPar(in, 4, v -> v == 3 ? Effect.<String, Unit>fail("bad 3") : Effect.<String>unit()));
            assertThat(vr.run(failing)).isEqualTo(Exit.failure("bad 3"));
        }
    }

    @Test
    void mapParKeepsTheChannelsOrderWhateverTheTiming() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            // Later values finish first: value v takes (31 - v) ms.
            Effect<String, List<String>> program = ChannelToolsTest.<String>filled(30).flatMap(in ->
                    mapPar(in, 5, v -> Concurrency.<String>sleep(31 - v).as("v" + v)));
            List<String> expected = new ArrayList<>();
            for (int i = 1; i <= 30; i++) {
                expected.add("v" + i);
            }
            assertThat(vr.run(program)).isEqualTo(Exit.success(expected));
        }
    }

    @Test
    void mapParFailsFastAndKeepsNullResults() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, List<String>> failing = ChannelToolsTest.<String>filled(10).flatMap(in ->
                    mapPar(in, 3, v -> v == 4 ? Effect.<String, String>fail("bad 4") : Effect.succeed("ok")));
            assertThat(vr.run(failing)).isEqualTo(Exit.failure("bad 4"));
            Effect<String, List<String>> nulls = ChannelToolsTest.<String>filled(3).flatMap(in ->
                    mapPar(in, 2, v -> Effect.<String, String>succeed(v == 2 ? null : "x")));
            assertThat(vr.run(nulls).getOrThrow()).containsExactly("x", null, "x");
        }
    }

    @Test
    void closeWhenDoneClosesTheChannelAfterTheLastProducer() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Integer> program = Concurrency.<String, Integer>makeBounded(1).flatMap(ch -> {
                Sender<Integer> out = ch.first();
                List<Effect<String, ?>> producers = List.of(
                        Concurrency.<String>sleep(30).then(out.send(1)),
                        out.<String>send(2).then(out.send(3)),
                        Concurrency.<String>sleep(10).then(out.send(4)));
                return par(closeWhenDone(out, producers), ch.second().fold(0, Integer::sum)).map(Pair::second);
            });
            assertThat(vr.run(program)).isEqualTo(Exit.success(10));
            assertThat(vr.nowMillis()).isEqualTo(30);
        }
    }

    @Test
    void closeWhenDoneClosesTheChannelAlsoWhenAProducerFails() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, String> program = Concurrency.<String, Integer>make().flatMap(ch -> {
                Sender<Integer> out = ch.first();
                List<Effect<String, ?>> producers = List.of(out.<String>send(1).then(Effect.fail("producer died")),
                        Concurrency.<String>sleep(1_000).then(out.send(2)));
                return closeWhenDone(out, producers).<String>exit().map(exit -> exit + ", closed: " + out.isClosed()
                        + ", drained after one: " + (ch.second().tryRecv().isPresent() && ch.second().isClosedForReceive()));
            });
            assertThat(vr.run(program)).isEqualTo(Exit.success(
                    "Failure[error=producer died], closed: true, drained after one: true"));
        }
    }

    @Test
    void repeatRunsAsTheScheduleSaysAndYieldsTheLastValue() {
        AtomicInteger runs = new AtomicInteger();
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Integer> poll = Effect.sync(runs::incrementAndGet);
            Effect<String, Integer> five = repeat(Schedule.fixedDelay(Duration.ofMillis(10)).maxAttempts(5), poll);
            assertThat(vr.run(five)).isEqualTo(Exit.success(5));
            assertThat(vr.nowMillis()).isEqualTo(40);
            Effect<String, Integer> bounded = repeat(Schedule.fixedDelay(Duration.ofMillis(100))
                    .maxElapsed(Duration.ofMillis(350)), poll);
            long start = vr.nowMillis();
            assertThat(vr.run(bounded)).isEqualTo(Exit.success(9)); // runs at 0, 100, 200, 300
            assertThat(vr.nowMillis() - start).isEqualTo(300);
        }
    }

    @Test
    void repeatStopsAtTheFirstFailure() {
        AtomicInteger runs = new AtomicInteger();
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Integer> flaky = Effect.suspend(() ->
                    runs.incrementAndGet() == 3 ? Effect.fail("third run failed") : Effect.succeed(runs.get()));
            assertThat(vr.run(repeat(Schedule.immediate(), flaky))).isEqualTo(Exit.failure("third run failed"));
            assertThat(runs).hasValue(3);
        }
    }

    @Test
    void aTickerTicksOnTheClockAndStopsWithItsScope() {
        List<String> log = new CopyOnWriteArrayList<>();
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Receiver<Long>> program = scope(s -> Effect.gen(d -> {
                Receiver<Long> ticks = d.await(ticker(Duration.ofMillis(100)));
                for (int i = 0; i < 3; i++) {
                    long tick = d.await(ticks.recv()).orElse(-1L);
                    log.add(tick + "@" + vr.nowMillis());
                }
                return ticks;
            }));
            Receiver<Long> ticks = vr.run(program).getOrThrow();
            assertThat(log).containsExactly("1@100", "2@200", "3@300");
            assertThat(ticks.isClosedForReceive()).as("closed when its scope ended").isTrue();
        }
    }

    @Test
    void aSlowConsumerMissesTicksInsteadOfGettingABurst() {
        List<Long> got = new CopyOnWriteArrayList<>();
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Unit> program = scope(s -> Effect.gen(d -> {
                Receiver<Long> ticks = d.await(ticker(Duration.ofMillis(10)));
                for (int i = 0; i < 3; i++) {
                    got.add(d.await(ticks.recv()).orElse(-1L));
                    d.await(Concurrency.sleep(35)); // 3.5 periods of work per tick
                }
                return Unit.UNIT;
            }));
            assertThat(vr.run(program)).isEqualTo(Exit.success(Unit.UNIT));
        }
        // Tick 1 at 10; the consumer is back at 45 and finds the one buffered tick (2, due at 20; 3 and 4 were
        // dropped), then at 80 finds tick 5 (due at 50).
        assertThat(got).containsExactly(1L, 2L, 5L);
    }

    @Test
    void receiverQueriesDoNotConsume() {
        Effect<String, String> program = Effect.gen(d -> {
            Pair<Sender<String>, Receiver<String>> bounded = d.await(makeBounded(4));
            Pair<Sender<String>, Receiver<String>> unbounded = d.await(make());
            Pair<Sender<String>, Receiver<String>> rendezvous = d.await(makeBounded(0));
            d.await(bounded.first().send("a"));
            d.await(bounded.first().send("b"));
            d.await(bounded.first().close());
            StringBuilder sb = new StringBuilder();
            sb.append(bounded.second().size()).append('/').append(bounded.second().capacity()).append(' ')
                    .append(bounded.first().size()).append('/').append(bounded.first().capacity()).append(' ')
                    .append(unbounded.second().capacity() == Integer.MAX_VALUE).append(' ')
                    .append(rendezvous.second().capacity()).append(' ')
                    .append(bounded.second().isClosedForReceive()).append(' ');
            for (String v : bounded.second().values()) {
                sb.append(v);
            }
            sb.append(' ').append(bounded.second().isClosedForReceive()).append(' ')
                    .append(unbounded.second().isClosedForReceive());
            return sb.toString();
        });
        assertThat(program.runOrThrow()).isEqualTo("2/4 2/4 true 0 false ab true false");
    }

    @Test
    void cancellingARepeatDuringItsDelayEndsItPromptly() {
        AtomicInteger runs = new AtomicInteger();
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, Integer> forever = repeat(Schedule.fixedDelay(Duration.ofSeconds(1)),
                    Effect.sync(runs::incrementAndGet));
            Effect<String, Exit<String, Integer>> program = Effect.gen(d -> {
                Task<String, Integer> t = d.await(spawn(forever));
                d.await(Concurrency.sleep(2_500));
                d.await(t.cancel());
                return d.await(t.await());
            });
            assertThat(vr.run(program)).isEqualTo(Exit.success(Exit.cancelled()));
            assertThat(vr.nowMillis()).isEqualTo(2_500);
        }
        assertThat(runs).hasValue(3); // at 0, 1000 and 2000 ms
    }

    @Test
    void mapParRejectsANullEffectWithAMessageAndBadArgumentsAtTheCall() {
        try (VirtualRuntime vr = new VirtualRuntime()) {
            Effect<String, List<String>> program = ChannelToolsTest.<String>filled(2).flatMap(in ->
                    mapPar(in, 2, v -> (Effect<String, String>) null));
            assertThat(vr.run(program).getCause()).get().asString().contains("Concurrency.mapPar: f returned null");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> mapPar(null, 1, v -> Effect.unit()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("in must not be null");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> forEachPar(Concurrency.<String, Integer>make()
                        .runOrThrow().second(), 0, v -> Effect.unit()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Concurrency.forEachPar: parallelism must be >= 1, was 0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ticker(Duration.ofNanos(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Concurrency.ticker: period must be at least 1 ms, was 10 ns");
    }

    @Test
    void thePublicSelectIsUniformToo() {
        // Go's TestSelectFairness through Concurrency.select: two idle receivers, then two that always have a value.
        int rounds = 2_000;
        Effect<String, int[]> program = Effect.gen(d -> {
            List<Receiver<Integer>> receivers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Pair<Sender<Integer>, Receiver<Integer>> ch = d.await(make());
                if (i >= 2) {
                    for (int v = 0; v < rounds; v++) {
                        d.await(ch.first().send(v));
                    }
                }
                receivers.add(ch.second());
            }
            List<Clause<Integer>> clauses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int index = i;
                clauses.add(Clause.recv(receivers.get(i), r -> index));
            }
            int[] counts = new int[4];
            for (int i = 0; i < rounds; i++) {
                counts[d.await(select(clauses))]++;
            }
            return counts;
        });
        int[] counts = program.runOrThrow();
        // Expected 1,000 each, standard deviation about 22: 700 is more than 13 deviations away.
        assertThat(counts[2]).as(java.util.Arrays.toString(counts)).isBetween(700, 1_300);
        assertThat(counts[3]).as(java.util.Arrays.toString(counts)).isBetween(700, 1_300);
    }
}
