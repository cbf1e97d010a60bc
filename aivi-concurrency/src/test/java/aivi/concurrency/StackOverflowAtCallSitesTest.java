package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@link StackOverflowError} forced at every call site inside the library's primitives, on a fiber: the
 * fiber recurses until its stack overflows and then, while unwinding, awaits a primitive at every depth
 * ({@code Effect.gen} runs an awaited effect on the same stack), so the overflow strikes at each call
 * inside it in turn. Afterwards the fiber's cancellation levels must be intact (a later
 * {@code timeoutWith} fires: a mask or a region left behind would shield or cancel it), the run must
 * return, and no fiber may be left alive.
 *
 * <p>Runs in a forked JVM: an overflow during a class's first initialisation, or a call site's first
 * linkage, breaks that class or call site for the whole JVM (JVMS 5.5, 5.4.3), which would poison every
 * later test of the surefire fork. The child warms every path up on a normal stack first.
 *
 * <p>What this found, each fixed: a spawn whose thread start threw left the child linked and counted live
 * (close then waited for ever); the timer queue's and the fiber's {@code ReentrantLock}s stayed held after an
 * overflow at their unlock (now spin locks released by a volatile write); the timer heap lost a timer or kept a
 * null slot after an overflow at a sift's entry; an overflow inside the JDK's {@code unpark} of the timer thread
 * left it runnable in name and never run (now the stack is probed first); a level-stack push left {@code top}
 * past a short array; a pop in a {@code finally} cut short left a region or scope entry behind (now restored by
 * the run loop, and an ended region can no longer be cancelled); an invokedynamic string concatenation linked
 * first on a deep stack broke for the life of the JVM (now compiled to StringBuilder).
 *
 * Also: a region a race branch lost (cancelled) whose pop was cut short kept the fiber cancelled (an ended
 * region no longer counts), and a throw from the run loop's own work skipped the pending finalizers.
 * And: an overflow inside the JDK's start of a fiber's virtual thread left it runnable in name and never run,
 * so a race waited for its branch for ever (about 1 child in 40 under a CPU load; Fiber.start now probes the
 * stack first).
 *
 * <p>Several rounds in one JVM: as the JIT compiles more of the library its frames shrink, so each round's
 * overflow strikes at other call sites. Repeated rounds found two more hangs of {@code scope}+{@code spawn}
 * (before the fixes, 40 rounds of it alone hung 2 JVMs of 3, at rounds 8 and 9; 5 rounds of every primitive
 * hung 2 JVMs of 5, at rounds 2 and 4): a scope's {@code ReentrantLock} whose unlock overflowed at its entry left a child linked and counted but
 * never started, so the owner's close waited for ever (the scope's lock is now a spin lock whose fault path
 * undoes the link); and the run loop's repair of the level stacks, on its return, overflowed at the loop's
 * deepest point, where the loop's catch-all retried it for ever, a fiber RUNNABLE without end (the repair now runs
 * once the loop's frame is gone).
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StackOverflowAtCallSitesTest {

    @Test
    void anOverflowAtEveryCallSiteOfEveryPrimitiveLeavesTheFiberAndTheRuntimeWhole() throws Exception {
        ForkedJvm.Result child = ForkedJvm.run(Child.class, 150, "-Xss512k", "-Dsoe.rounds=5");
        assertThat(child.ended()).as("the child hung: " + child.output()).isTrue();
        assertThat(child.exitValue()).as(child.output()).isZero();
        assertThat(child.output()).contains("all primitives whole");
    }

    @Test
    void manyRoundsOfOverflowsAroundAScopeSpawnNeverHangIt() throws Exception {
        ForkedJvm.Result child = ForkedJvm.run(Child.class, 150, "-Xss512k", "-Dsoe.rounds=30", "-Dsoe.only=0");
        assertThat(child.ended()).as("the child hung: " + child.output()).isTrue();
        assertThat(child.exitValue()).as(child.output()).isZero();
        assertThat(child.output()).contains("all primitives whole");
    }

    /** The forked JVM. Exits 0 if every primitive survived the overflow; prints what went wrong otherwise. */
    static final class Child {
        static final Effect<String, Integer>[] PRIMITIVES = primitives();

        @SuppressWarnings("unchecked")
        private static Effect<String, Integer>[] primitives() {
            return new Effect[] {
                    Concurrency.scope(s -> s.spawn(Effect.<String, Integer>succeed(1)).flatMap(Task::join)),
                    Concurrency.par(Effect.<String, Integer>succeed(1), Effect.<String, Integer>succeed(2)).as(1),
                    Concurrency.race(Effect.<String, Integer>succeed(1), Effect.<String, Integer>succeed(2)),
                    Concurrency.raceSuccess(Effect.<String, Integer>fail("x"), Effect.<String, Integer>succeed(2)),
                    Concurrency.timeoutWith(60_000, "t", Effect.<String, Integer>succeed(1)),
                    // arms a timer on the runtime's queue and parks until the timer thread fires it
                    Concurrency.<String>sleep(java.time.Duration.ofNanos(1)).as(1),
                    Effect.<String, Integer>succeed(1).ensuring(Effect.unit()),
                    Effect.<String, Integer>succeed(1).uncancellable(),
                    Concurrency.retry(2, Effect.<String, Integer>fail("x")).catchAll(e -> Effect.succeed(1)),
                    Concurrency.<String, Integer>makeBounded(1).flatMap(ch -> Concurrency.<String, Integer>send(ch.first(), 1)
                            .then(Concurrency.<String, Integer>recv(ch.second())).as(1)),
                    // select over two channels, one with a value ready
                    Concurrency.<String, Integer>makeBounded(1).flatMap(a -> Concurrency.<String, Integer>makeBounded(1)
                            .flatMap(b -> Concurrency.<String, Integer>send(a.first(), 1)
                                    .then(Concurrency.<String, Integer>select(
                                            Clause.recv(a.second(), r -> 1), Clause.recv(b.second(), r -> 2))))),
                    // a permit held around a step, with a child fiber contending for it
                    Effect.<String, Permits>sync(() -> Permits.of(1)).flatMap(p -> Concurrency.scope(s ->
                            s.spawn(p.<String, Integer>withPermit(Effect.succeed(1)))
                                    .flatMap(t -> p.<String, Integer>withPermit(Effect.succeed(1)).then(t.join())))),
                    // joinAll of a scope with a child
                    Concurrency.scope(s -> s.spawn(Effect.<String, Integer>succeed(1)).then(s.<String>joinAll()).as(1)),
                    // a rendezvous hand-off between two fibers
                    Concurrency.<String, Integer>makeBounded(0).flatMap(ch -> Concurrency.scope(s ->
                            s.spawn(Concurrency.<String, Integer>send(ch.first(), 1))
                                    .then(Concurrency.<String, Integer>recv(ch.second())).as(1))),
            };
        }

        public static void main(String[] args) {
            int rounds = Integer.getInteger("soe.rounds", 1);
            int only = Integer.getInteger("soe.only", -1); // one primitive's index, or -1 for all
            int failures = 0;
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < PRIMITIVES.length; i++) {
                    if (only >= 0 && i != only) {
                        continue;
                    }
                    System.out.println("round " + round + ", primitive " + i); // the last line shows where a hang is
                    System.out.flush();
                    String problem = check(PRIMITIVES[i]);
                    if (problem != null) {
                        failures++;
                        System.out.println("round " + round + ", primitive " + i + ": " + problem);
                    }
                }
            }
            if (failures == 0) {
                System.out.println("all primitives whole");
            }
            System.out.flush();
            Runtime.getRuntime().halt(failures == 0 ? 0 : 1);
        }

        private static Effect<String, String> program(Effect<String, Integer> op, boolean overflow,
                                                      AtomicInteger overflows) {
            return Effect.gen(d -> {
                if (overflow) {
                    descend(d, op, overflows);
                } else {
                    d.await(op.<String>exit());
                    d.await(Effect.<String, Integer>sync(() -> {
                        throw new StackOverflowError("warm-up");
                    }).<String>exit());
                }
                Exit<String, Integer> late = d.await(Concurrency.timeoutWith(10, "late",
                        Effect.<String, Integer>never()).<String>exit());
                return "afterwards: " + late;
            });
        }

        private static String check(Effect<String, Integer> op) {
            AtomicInteger overflows = new AtomicInteger();
            String expected = "afterwards: " + Exit.failure("late");
            try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler((c, e) -> {
            }))) {
                // Warm up on a normal stack: every class initialised and call site linked before the overflow.
                for (int i = 0; i < 3; i++) {
                    Exit<String, String> warm = rt.run(program(op, false, overflows));
                    if (!warm.equals(Exit.success(expected))) {
                        return "warm-up gave " + warm;
                    }
                }
                Exit<String, String> exit = rt.run(program(op, true, overflows));
                if (!exit.equals(Exit.success(expected))) {
                    return "after the overflows: " + exit;
                }
                if (overflows.get() == 0) {
                    return "no overflow struck: the descent did not reach the end of the stack";
                }
                Exit<String, Integer> later = rt.run(Concurrency.timeoutWith(10, "t", Effect.<String, Integer>never()));
                if (!later.equals(Exit.failure("t"))) {
                    return "a later run's timeout gave " + later;
                }
                if (rt.liveFibers() != 0) {
                    return rt.liveFibers() + " fibers left alive";
                }
                return null;
            } catch (Throwable t) {
                return "threw " + t;
            }
        }

        private static void descend(Direct<String> d, Effect<String, Integer> op, AtomicInteger overflows) {
            try {
                descend(d, op, overflows);
            } catch (StackOverflowError bottom) {
                // now run op at this depth and at every shallower one
            }
            try {
                // An overflow inside the primitive comes back as its defect; one at the await itself is thrown.
                if (d.await(op.<String>exit()) instanceof Exit.Defect<String, Integer> defect
                        && defect.cause() instanceof StackOverflowError) {
                    overflows.incrementAndGet();
                }
            } catch (StackOverflowError expected) {
                overflows.incrementAndGet();
            }
        }
    }
}
