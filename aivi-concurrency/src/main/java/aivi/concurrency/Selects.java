package aivi.concurrency;

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
