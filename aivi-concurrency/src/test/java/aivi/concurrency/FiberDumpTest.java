package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link EffectRuntime#dump()}, {@link FiberDump}, {@link Effect#named} and the JMX MBean of the dump. */
@ExtendWith(NoLeakedFibers.class)
class FiberDumpTest {

    /** Polls {@code rt.dump()} until {@code ready} holds; yields between polls, fails after the bound. */
    private static FiberDump awaitDump(EffectRuntime rt, Predicate<FiberDump> ready) {
        long deadline = System.nanoTime() + TestFibers.GENEROUS.toNanos();
        for (;;) {
            FiberDump d = rt.dump();
            if (ready.test(d)) {
                return d;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the dump never became ready; last one: " + d);
            }
            Thread.yield();
        }
    }

    private static boolean waits(FiberDump d, String name, FiberDump.Activity activity) {
        return d.fibers().stream().anyMatch(e -> e.name().equals(name) && e.activity() == activity);
    }

    @Test
    void anEmptyRuntimeDumpsNoFiber() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            FiberDump d = rt.dump();
            assertThat(d.size()).isZero();
            assertThat(d.roots()).isEmpty();
            assertThat(d).hasToString("0 fibers");
        }
    }

    @Test
    void theDumpIsATreeThatFollowsTheScopesAndSaysWhatEachFiberWaitsOn() throws Exception {
        try (EffectRuntime rt = EffectRuntime.create()) {
            AtomicReference<FiberDump> seen = new AtomicReference<>();
            Effect<String, Unit> program = Concurrency.<String, Integer>makeBounded(0).flatMap(ch ->
                    Concurrency.<String, Integer>make().flatMap(empty -> Concurrency.scope(s -> Effect.gen(d -> {
                        Task<String, Unit> sleeper = d.await(s.spawn(Concurrency.<String>sleep(600_000).named("sleeper")));
                        d.await(s.spawn(ch.first().<String>send(1).named("sender")));
                        d.await(s.spawn(empty.second().<String>recv().asUnit().named("receiver")));
                        d.await(s.spawn(sleeper.join().named("joiner")));
                        d.await(s.spawn(Concurrency.par(Concurrency.<String>sleep(600_000),
                                Concurrency.<String>sleep(600_000).named("branch")).asUnit().named("parent")));
                        seen.set(awaitDump(rt, dump -> waits(dump, "sleeper", FiberDump.Activity.SLEEP)
                                && waits(dump, "sender", FiberDump.Activity.SEND)
                                && waits(dump, "receiver", FiberDump.Activity.RECV)
                                && waits(dump, "joiner", FiberDump.Activity.JOIN)
                                && waits(dump, "branch", FiberDump.Activity.SLEEP)
                                && waits(dump, "parent", FiberDump.Activity.SLEEP)));
                        return Unit.UNIT;
                    })))).named("main");
            assertThat(rt.run(program)).isEqualTo(Exit.success(Unit.UNIT));
            FiberDump d = seen.get();
            assertThat(d.roots()).hasSize(1);
            FiberDump.Entry main = d.roots().get(0);
            assertThat(main.name()).isEqualTo("main");
            assertThat(main.activity()).isEqualTo(FiberDump.Activity.RUNNING); // it is taking the dump
            assertThat(main.children()).extracting(FiberDump.Entry::name)
                    .containsExactlyInAnyOrder("sleeper", "sender", "receiver", "joiner", "parent");
            FiberDump.Entry parent = main.children().stream().filter(e -> e.name().equals("parent")).findFirst().orElseThrow();
            assertThat(parent.children()).extracting(FiberDump.Entry::name).containsExactly("branch");
            assertThat(d.size()).isEqualTo(7);
            String text = d.toString();
            assertThat(text).startsWith("7 fibers\nmain [running]\n");
            assertThat(text).contains("\n  sleeper [waiting: sleep of 10 min 0 s for ")
                    .contains("\n  sender [waiting: send on Channel@")
                    .contains("\n  receiver [waiting: recv on Channel@")
                    .contains("\n  joiner [waiting: join on sleeper for ")
                    .contains("\n    branch [waiting: sleep of 10 min 0 s for ");
            List<String> lines = text.lines().toList();
            assertThat(lines).hasSize(8);
        }
    }

    @Test
    void aCancelledFiberStillFinishingIsMarkedCancelling() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            AtomicReference<FiberDump> seen = new AtomicReference<>();
            // the finalizer blocks (uncancellably) on a channel until the dump is taken
            Effect<String, Unit> program = Concurrency.<String, Unit>make().flatMap(gate -> Concurrency.scope(s -> Effect.gen(d -> {
                Task<String, Unit> t = d.await(s.spawn(Effect.<String, Unit>never()
                        .ensuring(gate.second().<String>recv()).named("closing")));
                d.await(s.spawn(t.<String>cancel()));
                seen.set(awaitDump(rt, dump -> dump.fibers().stream()
                        .anyMatch(e -> e.name().equals("closing") && e.cancelling() && e.activity() == FiberDump.Activity.RECV)));
                d.await(gate.first().<String>send(Unit.UNIT));
                return Unit.UNIT;
            })));
            assertThat(rt.run(program)).isEqualTo(Exit.success(Unit.UNIT));
            assertThat(seen.get().toString()).contains("closing [waiting: recv on Channel@").contains(", cancelling]");
        }
    }

    @Test
    void aChannelWaitIsTimedFromTheFirstDumpThatSeesItAndASleepFromItsStart() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            rt.run(Concurrency.<String, Integer>make().flatMap(ch -> Concurrency.spawnDetached(
                    ch.second().<String>recv().named("receiver"))));
            FiberDump first = awaitDump(rt, d -> waits(d, "receiver", FiberDump.Activity.RECV));
            assertThat(entry(first, "receiver").waitingFor()).as("the first dump to see it stamps it").isZero();
            rt.run(Concurrency.spawnDetached(Concurrency.<String>sleep(600_000).named("sleeper")));
            first = awaitDump(rt, d -> waits(d, "sleeper", FiberDump.Activity.SLEEP));
            long bound = System.nanoTime() + TestFibers.GENEROUS.toNanos();
            FiberDump later;
            do { // real time passes between dumps; this only waits for the durations to grow
                later = rt.dump();
                assertThat(System.nanoTime() - bound).as("durations grow in time").isNegative();
                Thread.yield();
            } while (entry(later, "receiver").waitingFor().isZero() || entry(later, "sleeper").waitingFor().isZero());
            assertThat(entry(later, "sleeper").waitingFor()).isGreaterThan(entry(first, "sleeper").waitingFor());
        }
    }

    private static FiberDump.Entry entry(FiberDump d, String name) {
        return d.fibers().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void detachedFibersAreRootsOfTheDump() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            rt.run(Concurrency.spawnDetached(Effect.<String, Unit>never().named("daemon")));
            FiberDump d = awaitDump(rt, dump -> waits(dump, "daemon", FiberDump.Activity.SLEEP));
            assertThat(d.roots()).extracting(FiberDump.Entry::name).containsExactly("daemon");
            assertThat(d.toString()).contains("daemon [waiting: sleep forever (Effect.never) for ");
        }
    }

    @Test
    void namedGivesANewFiberItsThreadNameFromTheStartAndItsTaskTheName() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            Pair<String, String> names = rt.runOrThrow(Concurrency.scope(s ->
                    s.spawn(Effect.<String, String>sync(() -> Thread.currentThread().getName()).named("worker"))
                            .flatMap(t -> t.join().map(n -> new Pair<>(n, t.name())))));
            assertThat(names).isEqualTo(new Pair<>("worker", "worker"));
        }
    }

    @Test
    void namedInsideARunningFiberRenamesItForTheEffectAndRestoresTheNameAfterAnyOutcome() {
        try (EffectRuntime rt = EffectRuntime.create()) {
            Effect<String, String> name = Effect.sync(() -> Thread.currentThread().getName());
            Effect<String, List<String>> program = name.flatMap(before ->
                    name.named("inner").flatMap(inside ->
                            Effect.<String, Unit>fail("boom").named("failing").<String>exit().then(name)
                                    .map(after -> List.of(before, inside, after))));
            List<String> seen = rt.runOrThrow(program);
            assertThat(seen.get(0)).startsWith("aivi-fiber-");
            assertThat(seen.get(1)).isEqualTo("inner");
            assertThat(seen.get(2)).isEqualTo(seen.get(0));
        }
    }

    @Test
    void namedRejectsNullAndBlankNames() {
        assertThatThrownBy(() -> Effect.unit().named(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("Effect.named: name");
        assertThatThrownBy(() -> Effect.unit().named("  ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Effect.named: name must not be blank, was \"  \"");
    }

    @Test
    void formatSaysDurationsForPeople() {
        assertThat(FiberDump.format(Duration.ofMillis(15))).isEqualTo("15 ms");
        assertThat(FiberDump.format(Duration.ofMillis(1_250))).isEqualTo("1.2 s");
        assertThat(FiberDump.format(Duration.ofSeconds(185))).isEqualTo("3 min 5 s");
        assertThat(FiberDump.format(Duration.ofDays(1))).isEqualTo("24 h 0 min");
    }

    @Test
    void theDumpIsReachableThroughJmxAndAClosedRuntimeLeavesIt() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(RuntimeMBean.NAME);
        EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withFiberNamePrefix("jmx-test-"));
        try {
            long deadline = System.nanoTime() + TestFibers.GENEROUS.toNanos();
            while (!server.isRegistered(name)) { // registered in the background by the first runtime
                assertThat(System.nanoTime() - deadline).as("MBean registered in time").isNegative();
                Thread.yield();
            }
            rt.run(Concurrency.spawnDetached(Effect.<String, Unit>never().named("visible-over-jmx")));
            awaitDump(rt, d -> waits(d, "visible-over-jmx", FiberDump.Activity.SLEEP));
            String text = (String) server.invoke(name, "dump", new Object[0], new String[0]);
            assertThat(text).contains("(fibers named jmx-test-N)").contains("visible-over-jmx [waiting: sleep");
            assertThat((Long) server.getAttribute(name, "LiveFibers")).isPositive();
        } finally {
            rt.close();
        }
        assertThat(RuntimeMBean.contains(rt)).isFalse();
        String after = (String) server.invoke(name, "dump", new Object[0], new String[0]);
        assertThat(after).doesNotContain("visible-over-jmx");
    }
}
