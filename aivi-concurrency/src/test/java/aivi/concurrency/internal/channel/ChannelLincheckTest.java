package aivi.concurrency.internal.channel;

import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Linearizability of {@link Channel}'s {@code send}, {@code receiveOrNull}, their {@code AfterTry} variants
 * (the fiber path's, which enqueue on their first attempt), {@code trySend}, {@code tryReceive} and
 * {@code close}, checked by Lincheck (model checking and stress) against a
 * sequential buffered channel.
 *
 * <p><b>Blocking operations.</b> Lincheck's Java API has no notion of an operation that waits for a
 * counterpart, and a scenario in which an operation can wait forever hangs. So the scenarios are
 * generated here (seeded), not by Lincheck: every one has a thread that only calls {@code close()},
 * which guarantees that every blocked operation eventually completes, in every interleaving. The
 * sequential specification answers {@code "blocks"} for a send on a full buffer and a receive on an
 * empty open one; no real operation ever returns that, so Lincheck must find an order in which each
 * blocking operation was able to complete where it is placed.
 *
 * <p><b>Rendezvous</b> is checked against a one-slot specification in which every successful send is
 * immediately followed by its receive: this proves no loss, no duplication, order and close semantics,
 * but cannot tell a rendezvous from a one-slot buffer, and {@code trySend}/{@code tryReceive} are left
 * out for it (they depend on a waiting counterpart, which has no sequential meaning);
 * {@code ChannelTest} covers those.
 */
public class ChannelLincheckTest {

    /** Per capacity: (model-checking scenarios, invocations each), (stress scenarios, invocations each). */
    private static final int MC_SCENARIOS = 12;
    private static final int MC_INVOCATIONS = 600;
    private static final int STRESS_SCENARIOS = 12;
    private static final int STRESS_INVOCATIONS = 2_000;
    private static final long SEED = 20_260_101L;

    @Test
    public void rendezvousIsLinearizableUnderModelChecking() throws Exception {
        check(new ModelCheckingOptions(), Rendezvous.class, OneSlotSpec.class, false, MC_SCENARIOS, MC_INVOCATIONS);
    }

    @Test
    public void rendezvousIsLinearizableUnderStress() throws Exception {
        check(new StressOptions(), Rendezvous.class, OneSlotSpec.class, false, STRESS_SCENARIOS, STRESS_INVOCATIONS);
    }

    @Test
    public void capacityOneIsLinearizableUnderModelChecking() throws Exception {
        check(new ModelCheckingOptions(), Buffered1.class, OneSlotSpec.class, true, MC_SCENARIOS, MC_INVOCATIONS);
    }

    @Test
    public void capacityOneIsLinearizableUnderStress() throws Exception {
        check(new StressOptions(), Buffered1.class, OneSlotSpec.class, true, STRESS_SCENARIOS, STRESS_INVOCATIONS);
    }

    @Test
    public void capacitySixteenIsLinearizableUnderModelChecking() throws Exception {
        check(new ModelCheckingOptions(), Buffered16.class, SixteenSlotSpec.class, true, MC_SCENARIOS, MC_INVOCATIONS);
    }

    @Test
    public void capacitySixteenIsLinearizableUnderStress() throws Exception {
        check(new StressOptions(), Buffered16.class, SixteenSlotSpec.class, true, STRESS_SCENARIOS, STRESS_INVOCATIONS);
    }

    @Test
    public void unboundedIsLinearizableUnderModelChecking() throws Exception {
        check(new ModelCheckingOptions(), Unbounded.class, UnboundedSpec.class, true, MC_SCENARIOS, MC_INVOCATIONS);
    }

    @Test
    public void unboundedIsLinearizableUnderStress() throws Exception {
        check(new StressOptions(), Unbounded.class, UnboundedSpec.class, true, STRESS_SCENARIOS, STRESS_INVOCATIONS);
    }

    private static <O extends Options<O, ?>> void check(O options, Class<?> test, Class<?> spec, boolean withTry,
            int scenarios, int invocations) throws Exception {
        Random random = new Random(SEED ^ test.getName().hashCode());
        options.iterations(0).invocationsPerIteration(invocations).sequentialSpecification(spec);
        for (int i = 0; i < scenarios; i++) {
            options.addCustomScenario(scenario(test, random, withTry));
        }
        options.check(test);
    }

    /**
     * A scenario: an optional non-blocking init, two worker threads of 2-3 operations, a thread that
     * closes, and a post part that drains what is left.
     */
    private static ExecutionScenario scenario(Class<?> test, Random random, boolean withTry) throws Exception {
        Method send = test.getMethod("send", int.class);
        Method receive = test.getMethod("receive");
        Method sendAfterTry = test.getMethod("sendAfterTry", int.class);
        Method receiveAfterTry = test.getMethod("receiveAfterTry");
        Method trySend = test.getMethod("trySend", int.class);
        Method tryReceive = test.getMethod("tryReceive");
        Method close = test.getMethod("close");
        List<Actor> init = new ArrayList<>();
        if (withTry && random.nextBoolean()) {
            init.add(new Actor(trySend, List.of(100)));
        }
        List<List<Actor>> parallel = new ArrayList<>();
        int value = 1;
        for (int t = 0; t < 2; t++) {
            List<Actor> ops = new ArrayList<>();
            int n = 2 + random.nextInt(2);
            for (int k = 0; k < n; k++) {
                int kind = random.nextInt(withTry ? 6 : 4);
                ops.add(switch (kind) {
                    case 0 -> new Actor(send, List.of(value++));
                    case 1 -> new Actor(receive, List.of());
                    case 2 -> new Actor(sendAfterTry, List.of(value++));
                    case 3 -> new Actor(receiveAfterTry, List.of());
                    case 4 -> new Actor(trySend, List.of(value++));
                    default -> new Actor(tryReceive, List.of());
                });
            }
            parallel.add(ops);
        }
        parallel.add(List.of(new Actor(close, List.of())));
        List<Actor> post = List.of(new Actor(receive, List.of()), new Actor(receive, List.of()));
        return new ExecutionScenario(init, parallel, post, null);
    }

    /** The operations under test, over a channel of some capacity. */
    public abstract static class Ops {
        private final Channel<Integer> channel;

        Ops(int capacity) {
            channel = Channel.create(capacity);
        }

        /** The outcome of a waiting send, the same for both variants. */
        private static String sent(boolean delivered) {
            return delivered ? "sent" : "closed";
        }

        /** The outcome of a waiting receive, the same for both variants. */
        private static String received(Integer v) {
            return v == null ? "closed" : "got " + v;
        }

        @Operation
        public String send(int value) throws InterruptedException {
            return sent(channel.sendOrClosed(value));
        }

        @Operation
        public String receive() throws InterruptedException {
            return received(channel.receiveOrNull());
        }

        @Operation
        public String sendAfterTry(int value) throws InterruptedException {
            return sent(channel.sendOrClosedAfterTry(value, true));
        }

        @Operation
        public String receiveAfterTry() throws InterruptedException {
            return received(channel.receiveOrNullAfterTry(true));
        }

        @Operation
        public String trySend(int value) {
            return channel.trySend(value).name();
        }

        @Operation
        public String tryReceive() {
            Integer v = channel.tryReceive();
            return v == null ? "none" : "got " + v;
        }

        @Operation
        public boolean close() {
            return channel.close();
        }
    }

    public static class Rendezvous extends Ops {
        public Rendezvous() {
            super(0);
        }
    }

    public static class Buffered1 extends Ops {
        public Buffered1() {
            super(1);
        }
    }

    public static class Buffered16 extends Ops {
        public Buffered16() {
            super(16);
        }
    }

    public static class Unbounded extends Ops {
        public Unbounded() {
            super(Channel.UNBOUNDED);
        }
    }

    /** A sequential buffered channel; {@code "blocks"} marks an operation that could not run now. */
    public abstract static class Spec {
        private final int capacity;
        private final ArrayDeque<Integer> buffer = new ArrayDeque<>();
        private boolean closed;

        Spec(int capacity) {
            this.capacity = capacity;
        }

        public String send(int value) {
            if (closed) {
                return "closed";
            }
            if (buffer.size() == capacity) {
                return "blocks";
            }
            buffer.add(value);
            return "sent";
        }

        public String receive() {
            if (!buffer.isEmpty()) {
                return "got " + buffer.poll();
            }
            return closed ? "closed" : "blocks";
        }

        public String sendAfterTry(int value) {
            return send(value);
        }

        public String receiveAfterTry() {
            return receive();
        }

        public String trySend(int value) {
            if (closed) {
                return "CLOSED";
            }
            if (buffer.size() == capacity) {
                return "FULL";
            }
            buffer.add(value);
            return "DELIVERED";
        }

        public String tryReceive() {
            return buffer.isEmpty() ? "none" : "got " + buffer.poll();
        }

        public boolean close() {
            boolean first = !closed;
            closed = true;
            return first;
        }

        // Lincheck compares states of the specification by equals/hashCode.
        @Override
        public boolean equals(Object o) {
            return o instanceof Spec s && s.getClass() == getClass() && s.closed == closed
                    && List.copyOf(s.buffer).equals(List.copyOf(buffer));
        }

        @Override
        public int hashCode() {
            return List.copyOf(buffer).hashCode() * 31 + (closed ? 1 : 0);
        }
    }

    public static class OneSlotSpec extends Spec {
        public OneSlotSpec() {
            super(1);
        }
    }

    public static class SixteenSlotSpec extends Spec {
        public SixteenSlotSpec() {
            super(16);
        }
    }

    public static class UnboundedSpec extends Spec {
        public UnboundedSpec() {
            super(Integer.MAX_VALUE);
        }
    }
}
