package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The monad laws (and the functor and error-channel laws) over seeded random effect trees built from
 * {@code succeed}, {@code fail}, {@code sync}, {@code suspend}, {@code map}, {@code flatMap},
 * {@code catchAll}, {@code mapError} and defects thrown from thunks and functions.
 *
 * <p>Two effects are equal when running them gives the same {@link Exit} <em>and</em> the same trace of side
 * effects, in order. A defect is a pre-built exception instance thrown on every run, so the defects of both
 * sides compare equal by identity. A failing case names its seed and both effect trees; re-run it with
 * {@code -Dtest=MonadLawsTest}.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(120)
class MonadLawsTest {

    private static final int SEEDS = 200;

    static LongStream seeds() {
        return LongStream.range(0, SEEDS);
    }

    /** An effect with its printable description. */
    private record Arb<T>(T value, String show) {
        @Override
        public String toString() {
            return show;
        }
    }

    /** What one run of an effect did: its outcome and the side effects it performed, in order. */
    private record Observation(Exit<String, Integer> exit, List<String> trace) {
    }

    /** Random effects and functions; every {@code sync} in them appends to {@link #trace}. */
    private static final class Generator {
        private final Random random;
        /** Written by the fiber running the effect; read after {@code run()} returned (happens-before). */
        private final List<String> trace = new ArrayList<>();
        private int ids;

        Generator(long seed) {
            this.random = new Random(seed);
        }

        Observation observe(Effect<String, Integer> effect) {
            trace.clear();
            Exit<String, Integer> exit = effect.run();
            return new Observation(exit, List.copyOf(trace));
        }

        Arb<Effect<String, Integer>> effect(int depth) {
            int choice = random.nextInt(depth == 0 ? 4 : 9);
            int k = random.nextInt(100);
            int id = ids++;
            return switch (choice) {
                case 0 -> new Arb<>(Effect.succeed(k), "succeed(" + k + ")");
                case 1 -> new Arb<>(Effect.fail("e" + k), "fail(e" + k + ")");
                case 2 -> new Arb<>(Effect.sync(() -> {
                    trace.add("sync#" + id);
                    return k;
                }), "sync#" + id + "(" + k + ")");
                case 3 -> {
                    IllegalStateException bug = new IllegalStateException("defect#" + id);
                    yield new Arb<>(Effect.sync(() -> {
                        trace.add("die#" + id);
                        throw bug;
                    }), "die#" + id);
                }
                case 4 -> {
                    Arb<Effect<String, Integer>> inner = effect(depth - 1);
                    Arb<Function<Integer, Integer>> f = function();
                    yield new Arb<>(inner.value().map(f.value()), inner + ".map(" + f + ")");
                }
                case 5 -> {
                    Arb<Effect<String, Integer>> inner = effect(depth - 1);
                    Arb<Function<Integer, Effect<String, Integer>>> f = kleisli(depth - 1);
                    yield new Arb<>(inner.value().flatMap(f.value()), inner + ".flatMap(" + f + ")");
                }
                case 6 -> {
                    Arb<Effect<String, Integer>> inner = effect(depth - 1);
                    Arb<Function<String, Effect<String, Integer>>> h = handler(depth - 1);
                    yield new Arb<>(inner.value().catchAll(h.value()), inner + ".catchAll(" + h + ")");
                }
                case 7 -> {
                    Arb<Effect<String, Integer>> inner = effect(depth - 1);
                    yield new Arb<>(inner.value().mapError(e -> e + "'"), inner + ".mapError(e -> e')");
                }
                default -> {
                    Arb<Effect<String, Integer>> inner = effect(depth - 1);
                    yield new Arb<>(Effect.suspend(() -> {
                        trace.add("suspend#" + id);
                        return inner.value();
                    }), "suspend#" + id + "(" + inner + ")");
                }
            };
        }

        Arb<Function<Integer, Integer>> function() {
            int k = random.nextInt(10);
            int id = ids++;
            return switch (random.nextInt(4)) {
                case 0 -> new Arb<>(x -> x + k, "x -> x + " + k);
                case 1 -> new Arb<>(x -> x * k, "x -> x * " + k);
                case 2 -> new Arb<>(x -> {
                    trace.add("fn#" + id + "(" + x + ")");
                    return x - k;
                }, "fn#" + id);
                default -> {
                    IllegalArgumentException bug = new IllegalArgumentException("defect in fn#" + id);
                    yield new Arb<>(x -> {
                        throw bug;
                    }, "x -> throw#" + id);
                }
            };
        }

        Arb<Function<Integer, Effect<String, Integer>>> kleisli(int depth) {
            int k = random.nextInt(10);
            int id = ids++;
            return switch (random.nextInt(6)) {
                case 0 -> new Arb<>(x -> Effect.succeed(x + k), "x -> succeed(x + " + k + ")");
                case 1 -> new Arb<>(x -> Effect.fail("k" + x), "x -> fail(k + x)");
                case 2 -> new Arb<>(x -> Effect.sync(() -> {
                    trace.add("k#" + id + "(" + x + ")");
                    return x * k;
                }), "k#" + id);
                case 3 -> {
                    IllegalStateException bug = new IllegalStateException("defect in k#" + id);
                    yield new Arb<>(x -> {
                        throw bug;
                    }, "x -> throw#" + id);
                }
                case 4 -> {
                    Arb<Effect<String, Integer>> body = effect(depth);
                    yield new Arb<>(x -> body.value().map(y -> y + x), "x -> " + body + ".map(+x)");
                }
                default -> {
                    Arb<Effect<String, Integer>> even = effect(depth);
                    Arb<Effect<String, Integer>> odd = effect(depth);
                    yield new Arb<>(x -> x % 2 == 0 ? even.value() : odd.value(),
                            "x -> even ? " + even + " : " + odd);
                }
            };
        }

        Arb<Function<String, Effect<String, Integer>>> handler(int depth) {
            int id = ids++;
            return switch (random.nextInt(4)) {
                case 0 -> new Arb<>(e -> Effect.succeed(e.length()), "e -> succeed(e.length)");
                case 1 -> new Arb<>(e -> Effect.fail(e + "#" + id), "e -> fail(e#" + id + ")");
                case 2 -> {
                    IllegalStateException bug = new IllegalStateException("defect in h#" + id);
                    yield new Arb<>(e -> {
                        throw bug;
                    }, "e -> throw#" + id);
                }
                default -> {
                    Arb<Effect<String, Integer>> body = effect(depth);
                    yield new Arb<>(e -> body.value(), "e -> " + body);
                }
            };
        }

        int depth() {
            return random.nextInt(5);
        }
    }

    private static void assertEquivalent(long seed, String law, Generator gen,
                                         Effect<String, Integer> left, Effect<String, Integer> right) {
        Observation l = gen.observe(left);
        Observation r = gen.observe(right);
        assertThat(l).as("seed %d, %s", seed, law).isEqualTo(r);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void leftIdentity(long seed) {
        Generator gen = new Generator(seed);
        int a = gen.random.nextInt(100);
        var f = gen.kleisli(gen.depth());
        // suspend only delays the call of f, so that a throwing f is a defect on both sides
        assertEquivalent(seed, "succeed(" + a + ").flatMap(f) == f(" + a + ") with f = " + f, gen,
                Effect.<String, Integer>succeed(a).flatMap(f.value()),
                Effect.suspend(() -> f.value().apply(a)));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void rightIdentity(long seed) {
        Generator gen = new Generator(seed);
        var m = gen.effect(gen.depth());
        assertEquivalent(seed, "m.flatMap(succeed) == m with m = " + m, gen,
                m.value().flatMap(Effect::succeed),
                m.value());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void associativity(long seed) {
        Generator gen = new Generator(seed);
        var m = gen.effect(gen.depth());
        var f = gen.kleisli(gen.depth());
        var g = gen.kleisli(gen.depth());
        assertEquivalent(seed, "m.flatMap(f).flatMap(g) == m.flatMap(x -> f(x).flatMap(g)) with m = " + m
                        + ", f = " + f + ", g = " + g, gen,
                m.value().flatMap(f.value()).flatMap(g.value()),
                m.value().flatMap(x -> f.value().apply(x).flatMap(g.value())));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void mapIsFlatMapWithSucceed(long seed) {
        Generator gen = new Generator(seed);
        var m = gen.effect(gen.depth());
        var f = gen.function();
        assertEquivalent(seed, "m.map(f) == m.flatMap(x -> succeed(f(x))) with m = " + m + ", f = " + f, gen,
                m.value().map(f.value()),
                m.value().flatMap(x -> Effect.succeed(f.value().apply(x))));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void mapComposes(long seed) {
        Generator gen = new Generator(seed);
        var m = gen.effect(gen.depth());
        var f = gen.function();
        var g = gen.function();
        assertEquivalent(seed, "m.map(f).map(g) == m.map(g . f) with m = " + m + ", f = " + f + ", g = " + g,
                gen,
                m.value().map(f.value()).map(g.value()),
                m.value().map(f.value().andThen(g.value())));
        assertEquivalent(seed, "m.map(identity) == m with m = " + m, gen,
                m.value().map(x -> x),
                m.value());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void catchAllIsTheFlatMapOfTheErrorChannel(long seed) {
        Generator gen = new Generator(seed);
        String e = "err" + gen.random.nextInt(10);
        var m = gen.effect(gen.depth());
        var h = gen.handler(gen.depth());
        var k = gen.handler(gen.depth());
        assertEquivalent(seed, "fail(e).catchAll(h) == h(e) with h = " + h, gen,
                Effect.<String, Integer>fail(e).catchAll(h.value()),
                Effect.suspend(() -> h.value().apply(e)));
        assertEquivalent(seed, "m.catchAll(fail) == m with m = " + m, gen,
                m.value().catchAll(Effect::fail),
                m.value());
        assertEquivalent(seed, "m.catchAll(h).catchAll(k) == m.catchAll(e -> h(e).catchAll(k)) with m = " + m
                        + ", h = " + h + ", k = " + k, gen,
                m.value().catchAll(h.value()).catchAll(k.value()),
                m.value().catchAll(x -> h.value().apply(x).catchAll(k.value())));
    }
}
