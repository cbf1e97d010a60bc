package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs 10,000 generated programs (nested scope / par / race / timeoutWith / retry / spawn / task cancel, with
 * random delays on a {@link TestClock}, random typed failures and defects) and checks each against a
 * sequential reference model.
 *
 * <p><b>Determinism.</b> The programs run on a {@link TestRuntime}, which advances the clock only when every
 * fiber waits in a library wait, so the program's events happen in virtual-time order, and events at
 * different instants never race: each of the 10,000 programs must end at the model's virtual time on every
 * run. The model
 * ({@link Model}) simulates a program in virtual time: each node, started at {@code t0} and cancelled by its
 * surroundings at {@code tc}, ends with an outcome at some instant. When two events that decide an outcome
 * fall on the same instant (a failure and a cancellation, two branches of a race), their order is up to the
 * scheduler; the model marks the program ambiguous and only the invariants below are checked for it.
 *
 * <p><b>Checked for every program</b>: no fiber alive afterwards; every node's finalizer ran exactly once
 * per start of the node; every injected failure and defect is accounted for (it is the outcome, suppressed
 * on it, given to the runtime's error handler, recovered by a catchAll, or retried); and, unless ambiguous,
 * the outcome and the virtual time at which the program ended equal the model's.
 *
 * <p>A failing program prints its seed; run it alone with {@code -Drandom.programs.seed=<seed>}.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RandomProgramsTest {

    static final int BLOCKS = 20;
    static final int PROGRAMS_PER_BLOCK = 500;
    static final long INF = Long.MAX_VALUE / 4;
    static final long MOD = 1_000_003L;
    /** The value of a CancelAfter node whose task was cancelled. */
    static final long CANCELLED_MARK = 999_999L;
    /** The time limit of most programs: longer than any program that does not wait forever. */
    static final long ROOT_LIMIT = 5_000L;

    static LongStream seedBlocks() {
        String one = System.getProperty("random.programs.seed");
        if (one != null) {
            return LongStream.of(-1L);
        }
        return LongStream.range(0, BLOCKS);
    }

    @ParameterizedTest(name = "seed block {0}")
    @MethodSource("seedBlocks")
    void randomProgramsBehaveLikeTheSequentialModelAndLeaveNothingBehind(long block) {
        String one = System.getProperty("random.programs.seed");
        int ambiguous = 0;
        try (VirtualRuntime v = new VirtualRuntime()) {
            if (one != null) {
                runOne(v, Long.parseLong(one), true);
                return;
            }
            for (int i = 0; i < PROGRAMS_PER_BLOCK; i++) {
                long seed = block * 1_000_000L + i;
                if (!runOne(v, seed, false)) {
                    ambiguous++;
                }
            }
        }
        // the model must decide most programs, or the test checks little
        assertThat(ambiguous).as("programs whose outcome the model could not decide").isLessThan(PROGRAMS_PER_BLOCK / 4);
    }

    /** Runs the program of {@code seed}; returns whether its outcome was compared with the model's. */
    private static boolean runOne(VirtualRuntime v, long seed, boolean verbose) {
        Generator gen = new Generator(new Random(seed));
        Prog prog = gen.program();
        Model model = new Model();
        Model.R expected = model.sim(prog, 0, INF);
        int nodes = gen.nextId;
        Instrumented ins = new Instrumented(nodes);
        int reportedBefore = v.reported.errors().size();
        long start = v.nowMillis();
        Exit<String, Long> actual;
        try {
            actual = v.run(ins.build(prog));
        } catch (RuntimeException e) {
            throw new AssertionError(describe(seed, prog, expected, model, null) + ": the run failed", e);
        }
        long elapsed = v.nowMillis() - start;
        String where = describe(seed, prog, expected, model, actual);
        if (verbose) {
            System.out.println(where + ", elapsed " + elapsed);
        }
        assertThat(v.rt.liveFibers()).as(where + ": fibers alive after run").isZero();
        for (int id = 0; id < nodes; id++) {
            assertThat(ins.finalized.get(id)).as(where + ": finalizer runs of node " + id)
                    .isEqualTo(ins.started.get(id));
        }
        List<Throwable> reported = v.reported.errors().subList(reportedBefore, v.reported.errors().size());
        checkNoErrorLost(where, ins, actual, reported);
        if (model.ambiguous) {
            return false;
        }
        assertThat(normalize(actual)).as(where + ": outcome").isEqualTo(expected.normalized());
        assertThat(elapsed).as(where + ": virtual time at the end").isEqualTo(expected.t);
        return true;
    }

    private static String describe(long seed, Prog prog, Model.R expected, Model model, Exit<String, Long> actual) {
        return "program seed " + seed + " (rerun alone with -Drandom.programs.seed=" + seed + "): " + prog
                + "; model " + expected.normalized() + " at " + expected.t + (model.ambiguous ? " (ambiguous)" : "")
                + (actual == null ? "" : "; actual " + normalize(actual));
    }

    private static void checkNoErrorLost(String where, Instrumented ins, Exit<String, Long> actual,
                                         List<Throwable> reported) {
        Set<Object> accounted = Collections.newSetFromMap(new IdentityHashMap<>());
        switch (actual) {
            case Exit.Failure<String, Long> f -> accounted.add(f.error());
            case Exit.Defect<String, Long> d -> addThrowable(accounted, d.cause());
            default -> {
            }
        }
        for (Throwable t : reported) {
            addThrowable(accounted, t);
        }
        accounted.addAll(ins.caught);
        accounted.addAll(ins.retried);
        for (Object raised : ins.raised) {
            assertThat(accounted.contains(raised)).as(where + ": the injected error " + raised
                    + " is lost (not the outcome, not suppressed, not reported, not caught, not retried); reported: "
                    + reported).isTrue();
        }
    }

    private static void addThrowable(Set<Object> accounted, Throwable t) {
        if (t == null || accounted.contains(t)) {
            return;
        }
        accounted.add(t);
        if (t instanceof FailureException fe) {
            accounted.add(fe.error());
        }
        for (Throwable s : t.getSuppressed()) {
            addThrowable(accounted, s);
        }
        addThrowable(accounted, t.getCause());
    }

    static String normalize(Exit<String, Long> exit) {
        return switch (exit) {
            case Exit.Success<String, Long> s -> "S:" + s.value();
            case Exit.Failure<String, Long> f -> "F:" + f.error().split("#")[0];
            case Exit.Defect<String, Long> d -> "D:" + String.valueOf(d.cause().getMessage()).split("#")[0];
            case Exit.Cancelled<String, Long> c -> "C";
        };
    }

    // ------------------------------------------------------------------------------------------------------
    // Programs

    enum Kind { SUCCEED, FAIL, DIE, NEVER }

    sealed interface Prog {
        int id();
    }

    record Leaf(int id, long delay, Kind kind, long value) implements Prog {
        @Override
        public String toString() {
            return switch (kind) {
                case SUCCEED -> "ok" + id + "(" + delay + "," + value + ")";
                case FAIL -> "fail" + id + "(" + delay + ")";
                case DIE -> "die" + id + "(" + delay + ")";
                case NEVER -> "never" + id;
            };
        }
    }

    record Seq(int id, Prog a, Prog b) implements Prog {
        @Override
        public String toString() {
            return "seq" + id + "(" + a + ", " + b + ")";
        }
    }

    record Par(int id, Prog a, Prog b) implements Prog {
        @Override
        public String toString() {
            return "par" + id + "(" + a + ", " + b + ")";
        }
    }

    record Race(int id, Prog a, Prog b) implements Prog {
        @Override
        public String toString() {
            return "race" + id + "(" + a + ", " + b + ")";
        }
    }

    record TimeoutWith(int id, long millis, Prog a) implements Prog {
        @Override
        public String toString() {
            return "timeoutWith" + id + "(" + millis + ", " + a + ")";
        }
    }

    record Retry(int id, int attempts, Prog a) implements Prog {
        @Override
        public String toString() {
            return "retry" + id + "(" + attempts + ", " + a + ")";
        }
    }

    record Catch(int id, Prog a, long recovered) implements Prog {
        @Override
        public String toString() {
            return "catch" + id + "(" + a + ", " + recovered + ")";
        }
    }

    /** {@code Concurrency.spawn(a)} into the innermost scope, then join. */
    record SpawnJoin(int id, Prog a) implements Prog {
        @Override
        public String toString() {
            return "spawnJoin" + id + "(" + a + ")";
        }
    }

    /** A scope: spawn the children, run the body, then (if {@code join}) join the children in order. */
    record ScopeNode(int id, List<Prog> children, Prog body, boolean join) implements Prog {
        @Override
        public String toString() {
            return "scope" + id + (join ? "Join" : "") + "(" + children + ", " + body + ")";
        }
    }

    /** A scope that spawns {@code a}, sleeps {@code after}, cancels the task and awaits it. */
    record CancelAfter(int id, long after, Prog a) implements Prog {
        @Override
        public String toString() {
            return "cancelAfter" + id + "(" + after + ", " + a + ")";
        }
    }

    static long seqValue(long a, long b) {
        return Math.floorMod(a * 31 + b, MOD);
    }

    static long parValue(long a, long b) {
        return Math.floorMod(a * 37 + b * 41 + 7, MOD);
    }

    // ------------------------------------------------------------------------------------------------------
    // Generator

    static final class Generator {
        final Random random;
        int nextId;

        Generator(Random random) {
            this.random = random;
        }

        /**
         * A program, always under a timeout: it cancels the whole program at a random instant, or else
         * bounds a program that waits forever (whichever way the scheduler resolves its ambiguities).
         */
        Prog program() {
            Prog p = node(0);
            return new TimeoutWith(nextId++, random.nextInt(4) == 0 ? 1 + random.nextInt(200) : ROOT_LIMIT, p);
        }

        Prog node(int depth) {
            int r = random.nextInt(depth >= 4 ? 1 : 13);
            return switch (r) {
                case 0 -> leaf();
                case 1, 2 -> new Seq(nextId++, node(depth + 1), node(depth + 1));
                case 3 -> new Par(nextId++, node(depth + 1), node(depth + 1));
                case 4 -> new Race(nextId++, node(depth + 1), node(depth + 1));
                case 5 -> new TimeoutWith(nextId++, random.nextInt(12) == 0 ? 0 : 1 + random.nextInt(200), node(depth + 1));
                case 6 -> new Retry(nextId++, 1 + random.nextInt(3), node(depth + 1));
                case 7 -> new Catch(nextId++, node(depth + 1), random.nextInt(100));
                case 8 -> new SpawnJoin(nextId++, node(depth + 1));
                case 9, 10 -> {
                    int id = nextId++;
                    List<Prog> children = new ArrayList<>();
                    int n = random.nextInt(3);
                    for (int i = 0; i < n; i++) {
                        children.add(node(depth + 1));
                    }
                    yield new ScopeNode(id, List.copyOf(children), node(depth + 1), random.nextBoolean());
                }
                case 11 -> new CancelAfter(nextId++, 1 + random.nextInt(150), node(depth + 1));
                default -> leaf();
            };
        }

        Leaf leaf() {
            int k = random.nextInt(20);
            Kind kind = k < 11 ? Kind.SUCCEED : k < 15 ? Kind.FAIL : k < 17 ? Kind.DIE : Kind.NEVER;
            long delay = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(150);
            return new Leaf(nextId++, delay, kind, random.nextInt(1000));
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // The reference model: a sequential simulation in virtual time

    static final class Model {
        boolean ambiguous;

        /** An outcome: kind S/F/D/C, its value or error name, its instant, and whether it escalates. */
        record R(char kind, long value, String error, long t, boolean escalated) {
            static R success(long value, long t) {
                return new R('S', value, null, t, false);
            }

            static R cancelled(long t) {
                return new R('C', 0, null, t, false);
            }

            boolean isError() {
                return kind == 'F' || kind == 'D';
            }

            R contained() {
                return escalated ? new R(kind, value, error, t, false) : this;
            }

            R at(long time) {
                return new R(kind, value, error, time, escalated);
            }

            String normalized() {
                return switch (kind) {
                    case 'S' -> "S:" + value;
                    case 'F' -> "F:" + error;
                    case 'D' -> "D:" + error;
                    default -> "C";
                };
            }
        }

        private void tie(long a, long b) {
            if (a == b && a < INF) {
                ambiguous = true;
            }
        }

        /** The outcome of {@code p} started at {@code t0} whose surroundings cancel it at {@code tc}. */
        R sim(Prog p, long t0, long tc) {
            if (tc <= t0) {
                // cancelled as it starts: the cancel and the start race
                ambiguous = true;
                return R.cancelled(tc);
            }
            return switch (p) {
                case Leaf l -> leaf(l, t0, tc);
                case Seq s -> {
                    R a = sim(s.a(), t0, tc);
                    if (a.kind() != 'S') {
                        yield a;
                    }
                    R b = sim(s.b(), a.t(), tc);
                    yield b.kind() == 'S' ? R.success(seqValue(a.value(), b.value()), b.t()) : b;
                }
                case Par par -> par(par, t0, tc);
                case Race race -> race(race, t0, tc);
                case TimeoutWith to -> {
                    if (to.millis() <= 0) {
                        yield new R('F', 0, "T" + to.id(), t0, false);
                    }
                    long deadline = t0 + to.millis();
                    R r = sim(to.a(), t0, Math.min(tc, deadline)).contained();
                    if (r.kind() != 'C') {
                        yield r;
                    }
                    tie(deadline, tc);
                    yield deadline < tc ? new R('F', 0, "T" + to.id(), deadline, false) : r;
                }
                case Retry rt -> {
                    long t = t0;
                    R r = null;
                    for (int i = 1; i <= rt.attempts(); i++) {
                        r = sim(rt.a(), t, tc);
                        if (r.kind() != 'F' || r.escalated() || i == rt.attempts()) {
                            break;
                        }
                        t = r.t();
                    }
                    yield r;
                }
                case Catch c -> {
                    R r = sim(c.a(), t0, tc);
                    yield r.kind() == 'F' && !r.escalated() ? R.success(c.recovered(), r.t()) : r;
                }
                case SpawnJoin sj -> {
                    R r = sim(sj.a(), t0, tc).contained();
                    // the child's failure also fails the innermost scope: no catchAll in between can recover it
                    yield r.isError() ? new R(r.kind(), 0, r.error(), r.t(), true) : r;
                }
                case ScopeNode sc -> scope(sc, t0, tc);
                case CancelAfter ca -> cancelAfter(ca, t0, tc);
            };
        }

        private R leaf(Leaf l, long t0, long tc) {
            if (l.kind() == Kind.NEVER) {
                return R.cancelled(tc);
            }
            long end = t0 + l.delay();
            tie(end, tc);
            if (end > tc) {
                return R.cancelled(tc);
            }
            return switch (l.kind()) {
                case SUCCEED -> R.success(l.value(), end);
                case FAIL -> new R('F', 0, "F" + l.id(), end, false);
                default -> new R('D', 0, "D" + l.id(), end, false);
            };
        }

        private R par(Par p, long t0, long tc) {
            R a = sim(p.a(), t0, tc).contained();
            R b = sim(p.b(), t0, tc).contained();
            if (a.isError() || b.isError()) {
                // the other side is cancelled at the first error; how far it got does not change the outcome
                R first;
                if (a.isError() && b.isError()) {
                    tie(a.t(), b.t());
                    first = a.t() <= b.t() ? a : b;
                } else {
                    first = a.isError() ? a : b;
                }
                return first;
            }
            if (a.kind() == 'S' && b.kind() == 'S') {
                return R.success(parValue(a.value(), b.value()), Math.max(a.t(), b.t()));
            }
            return R.cancelled(tc);
        }

        private R race(Race r, long t0, long tc) {
            R a = sim(r.a(), t0, tc).contained();
            R b = sim(r.b(), t0, tc).contained();
            if (a.kind() == 'C' && b.kind() == 'C') {
                return R.cancelled(tc);
            }
            R winner;
            if (a.kind() != 'C' && b.kind() != 'C') {
                tie(a.t(), b.t());
                winner = a.t() <= b.t() ? a : b;
            } else {
                winner = a.kind() != 'C' ? a : b;
            }
            return winner;
        }

        private R scope(ScopeNode sc, long t0, long tc) {
            List<R> kids = new ArrayList<>();
            R firstKidError = null;
            for (Prog c : sc.children()) {
                R k = sim(c, t0, tc).contained();
                kids.add(k);
                if (k.isError()) {
                    if (firstKidError != null) {
                        tie(k.t(), firstKidError.t());
                    }
                    if (firstKidError == null || k.t() < firstKidError.t()) {
                        firstKidError = k;
                    }
                }
            }
            long te = firstKidError == null ? INF : firstKidError.t();
            R body = sim(sc.body(), t0, Math.min(tc, te)).contained();
            if (sc.join() && body.kind() == 'S') {
                if (firstKidError != null) {
                    body = R.cancelled(te); // cancelled while joining, when the child failed
                } else {
                    boolean allOk = true;
                    long end = body.t();
                    long value = body.value();
                    for (R k : kids) {
                        allOk &= k.kind() == 'S';
                        end = Math.max(end, k.t());
                        value = seqValue(value, k.value());
                    }
                    body = allOk ? R.success(value, end) : R.cancelled(tc);
                }
            }
            if (firstKidError != null && te <= body.t()) {
                if (body.kind() != 'C') {
                    tie(te, body.t());
                }
                return firstKidError;
            }
            return body;
        }

        private R cancelAfter(CancelAfter ca, long t0, long tc) {
            long cancelAt = t0 + ca.after();
            R child = sim(ca.a(), t0, Math.min(tc, cancelAt)).contained();
            if (child.isError()) {
                tie(child.t(), Math.min(tc, cancelAt));
                return child; // fail-fast: the scope fails with it
            }
            if (tc <= cancelAt) {
                tie(tc, cancelAt);
                return R.cancelled(tc);
            }
            tie(child.t(), cancelAt);
            return child.kind() == 'S' ? R.success(child.value(), cancelAt) : R.success(CANCELLED_MARK, cancelAt);
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // The program as an effect, instrumented

    /** Carries a typed error out of {@code Effect.attempt}. */
    static final class Raised extends Exception {
        final String error;

        Raised(String error) {
            super(error, null, false, false);
            this.error = error;
        }
    }

    static final class Instrumented {
        final AtomicIntegerArray started;
        final AtomicIntegerArray finalized;
        final ConcurrentLinkedQueue<Object> raised = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Object> caught = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Object> retried = new ConcurrentLinkedQueue<>();
        final AtomicLong serial = new AtomicLong();

        Instrumented(int nodes) {
            started = new AtomicIntegerArray(nodes);
            finalized = new AtomicIntegerArray(nodes);
        }

        Effect<String, Long> build(Prog p) {
            Effect<String, Long> e = raw(p);
            int id = p.id();
            // A node counts as started when its first step runs, inside its ensuring: a cancel that lands
            // before that step (the node never started) runs the finalizer, which then counts nothing.
            return Effect.suspend(() -> {
                boolean[] began = {false};
                return Effect.<String, Unit>sync(() -> {
                    began[0] = true;
                    started.incrementAndGet(id);
                    return Unit.UNIT;
                }).then(e).ensuring(Effect.sync(() -> began[0] ? finalized.incrementAndGet(id) : 0));
            });
        }

        private Effect<String, Long> raw(Prog p) {
            return switch (p) {
                case Leaf l -> Concurrency.<String>sleep(l.delay()).then(switch (l.kind()) {
                    case SUCCEED -> Effect.<String, Long>succeed(l.value());
                    // the error is recorded in the very step that fails with it
                    case FAIL -> Effect.<String, Long>attempt(() -> {
                        String error = "F" + l.id() + "#" + serial.incrementAndGet();
                        raised.add(error);
                        throw new Raised(error);
                    }, ex -> ((Raised) ex).error);
                    case DIE -> Effect.<String, Long>sync(() -> {
                        RuntimeException defect = new RuntimeException("D" + l.id() + "#" + serial.incrementAndGet());
                        raised.add(defect);
                        throw defect;
                    });
                    case NEVER -> Effect.<String, Long>never();
                });
                case Seq s -> build(s.a()).flatMap(a -> build(s.b()).map(b -> seqValue(a, b)));
                case Par par -> Concurrency.par(build(par.a()), build(par.b()))
                        .map(pair -> parValue(pair.first(), pair.second()));
                case Race race -> Concurrency.race(build(race.a()), build(race.b()));
                case TimeoutWith to -> Concurrency.timeoutWith(to.millis(), "T" + to.id(), build(to.a()));
                case Retry rt -> {
                    Effect<String, Long> inner = build(rt.a());
                    yield Effect.suspend(() -> {
                        int[] attempt = {0};
                        return Concurrency.retry(rt.attempts(), Effect.suspend(() -> {
                            int mine = ++attempt[0];
                            // onExit leaves the outcome alone (a catchAll re-failing would add a step that a
                            // cancel could pre-empt); an error followed by another attempt is handled
                            return inner.onExit(exit -> {
                                if (exit instanceof Exit.Failure<String, Long> f && mine < rt.attempts()) {
                                    retried.add(f.error());
                                }
                                return Effect.unit();
                            });
                        }));
                    });
                }
                case Catch c -> build(c.a()).catchAll(e -> {
                    caught.add(e);
                    return Effect.succeed(c.recovered());
                });
                case SpawnJoin sj -> Concurrency.spawn(build(sj.a())).flatMap(Task::join);
                case ScopeNode sc -> Concurrency.scope(s -> Effect.<String, Long>gen(d -> {
                    List<Task<String, Long>> tasks = new ArrayList<>();
                    for (Prog c : sc.children()) {
                        tasks.add(d.await(s.spawn(build(c))));
                    }
                    long value = d.await(build(sc.body()));
                    if (sc.join()) {
                        for (Task<String, Long> t : tasks) {
                            value = seqValue(value, d.await(t.join()));
                        }
                    }
                    return value;
                }));
                case CancelAfter ca -> Concurrency.scope(s -> s.spawn(build(ca.a())).flatMap(t ->
                        Concurrency.<String>sleep(ca.after()).then(t.<String>cancel()).then(t.<String>await())
                                .flatMap(exit -> switch (exit) {
                                    case Exit.Success<String, Long> ok -> Effect.<String, Long>succeed(ok.value());
                                    case Exit.Cancelled<String, Long> c -> Effect.<String, Long>succeed(CANCELLED_MARK);
                                    default -> Effect.fromExit(exit);
                                })));
            };
        }
    }
}
