package aivi.concurrency;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An ordered, thread-safe record of what happened in a test, written from effects. */
final class EventLog {
    private final List<String> events = new CopyOnWriteArrayList<>();

    /** An effect that records {@code event} when it runs. */
    <E> Effect<E, Unit> add(String event) {
        return Effect.sync(() -> {
            events.add(event);
            return Unit.UNIT;
        });
    }

    /** Records {@code event} now. */
    void record(String event) {
        events.add(event);
    }

    List<String> events() {
        return List.copyOf(events);
    }

    boolean contains(String event) {
        return events.contains(event);
    }

    @Override
    public String toString() {
        return events.toString();
    }
}
