package aivi.concurrency;

import aivi.concurrency.internal.channel.Select;
import aivi.concurrency.internal.channel.SelectClause;
import aivi.concurrency.internal.channel.Selection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Maps public {@link Clause}s to the engine's select and its {@link Selection} back to a result. */
final class Selects {
    private Selects() {
    }

    static List<SelectClause<?>> engine(List<? extends Clause<?>> clauses) {
        List<SelectClause<?>> out = new ArrayList<>(clauses.size());
        for (Clause<?> c : clauses) {
            out.add(c.engine);
        }
        return out;
    }

    /**
     * {@code select} and {@code selectPriority} as one primitive step. The engine's plan (clauses in lock order) is
     * built once, with the effect. The step first runs the select's immediate phase alone (what a select that
     * finds a clause ready does anyway: the same locked scan, linearized in the same critical section), with no
     * lambda, no {@link Exit} and no wait bookkeeping; only when no clause is ready does it enter the fiber's one
     * wait loop (Fiber.blockFor), whose blocking select scans once more and, still under the same locks,
     * registers its nodes (allocated before that pass: Select.selectAfterTry). The cancellation check
     * before the fast path is the run loop's (or Direct.await's) check before every step. The clause's function,
     * user code, runs after the select has committed, outside the wait.
     */
    static final class SelectOp<E, R> extends Node.Op<E, R> {
        private final List<Clause<? extends R>> clauses;
        private final Select.Plan plan;

        SelectOp(List<Clause<? extends R>> clauses, boolean prioritized) {
            this.clauses = clauses;
            this.plan = Select.plan(engine(clauses), prioritized);
        }

        @Override
        Object step(Fiber fiber) {
            // A select whose every clause would most likely wait skips the try (Plan.likelyWaits): the blocking
            // select's first pass decides exactly, under the same locks, and takes a clause that is ready.
            Selection s = plan.likelyWaits() ? null : Select.selectOrDefault(plan);
            if (s == null || s instanceof Selection.Default) {
                Exit<Object, Selection> e = fiber.blockFor(FiberDump.Activity.SELECT, clauses, this::block);
                if (!(e instanceof Exit.Success<Object, Selection> ok)) {
                    throw Node.Halt.of(e);
                }
                s = ok.value();
            }
            return outcome(clauses, s, null);
        }

        private Selection block() throws InterruptedException {
            return Select.selectAfterTry(plan); // the try above found nothing ready: enqueue on the first pass
        }
    }

    static <R> R outcome(List<? extends Clause<? extends R>> clauses, Selection s, Supplier<? extends R> otherwise) {
        return switch (s) {
            case Selection.Received r -> clauses.get(r.clause()).onOutcome.apply(Result.ok(r.value()));
            case Selection.Sent r -> clauses.get(r.clause()).onOutcome.apply(Result.ok(Unit.UNIT));
            case Selection.Closed r -> clauses.get(r.clause()).onOutcome.apply(Result.err(ChannelError.CLOSED));
            case Selection.Default d -> otherwise.get();
            case Selection.TimedOut t -> otherwise.get();
        };
    }
}
