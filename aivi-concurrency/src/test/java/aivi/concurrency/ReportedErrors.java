package aivi.concurrency;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An error handler that keeps what it receives, for runtimes built by tests. */
final class ReportedErrors implements RuntimeConfig.ErrorHandler {
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();

    @Override
    public void unobserved(String context, Throwable error) {
        errors.add(error);
    }

    List<Throwable> errors() {
        return List.copyOf(errors);
    }

    /** The typed errors received (they arrive wrapped in {@link FailureException}). */
    List<Object> typedErrors() {
        return errors.stream().filter(t -> t instanceof FailureException).map(t -> ((FailureException) t).error())
                .toList();
    }
}
