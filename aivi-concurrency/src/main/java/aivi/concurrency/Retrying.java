package aivi.concurrency;

/**
 * The one retry loop, behind both {@link Concurrency#retry(Schedule, Effect)} and
 * {@link Concurrency#retry(int, Effect)} (an {@linkplain Schedule#immediate() immediate} schedule with
 * {@code maxAttempts}).
 */
final class Retrying {
    // Implementation overview (not public documentation).
    //
    // One primitive runs the whole loop on the calling fiber: each attempt is a nested RunLoop.run of the effect
    // (as scopes and brackets run their bodies), so the scopes and finalizers of an attempt end before the next
    // attempt starts, and retrying costs no fiber. After a typed failure the Schedule decides, from the attempt
    // number, the error and the time elapsed since the first attempt started, whether to retry and after what
    // delay; the optional hook runs; then the fiber parks on the runtime's Clock until the deadline.
    //
    // Only a typed failure is retried. A success, a defect or a cancellation of an attempt ends the loop with that
    // outcome. The wait is Fiber.sleepUntil, the same loop as Concurrency.sleep: cancellable, it re-checks the
    // fiber's cancellation levels after every wake-up, so a cancelled fiber leaves the wait promptly and the retry
    // ends as cancelled, without another attempt (also when there is no delay). All state is local to the fiber's
    // thread.

    private Retrying() {
    }

    /** The blocker the waiting fiber parks on, for thread dumps. */
    private static final Object RETRY_DELAY = new Object() {
        @Override
        public String toString() {
            return "aivi.concurrency.retry delay";
        }
    };

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <E, A> Exit<E, A> run(Fiber fiber, Schedule<? super E> schedule, Effect<E, A> effect) {
        Schedule<E> s = (Schedule<E>) schedule; // it only consumes errors: an E is a "? super E"
        Clock clock = fiber.runtime.clock();
        long start = clock.nanoTime();
        for (int attempt = 1; ; attempt = attempt == Integer.MAX_VALUE ? attempt : attempt + 1) {
            Exit exit = RunLoop.run(fiber, effect);
            if (!(exit instanceof Exit.Failure failure)) {
                return exit;
            }
            E error = (E) failure.error();
            long elapsed = clock.nanoTime() - start;
            long delay = s.nextDelayNanos(attempt, error, elapsed);
            if (delay == Schedule.STOP) {
                return exit;
            }
            JfrEvents.retryAttempt(attempt, error, delay);
            Effect<?, ?> hook = s.onRetryEffect(attempt, error, delay, elapsed);
            if (hook != null) {
                Exit hooked = RunLoop.run(fiber, hook);
                switch (hooked) {
                    case Exit.Success ok -> {
                    }
                    case Exit.Failure f -> {
                        return Exit.defect(new FailureException(f.error()));
                    }
                    default -> {
                        return hooked;
                    }
                }
            }
            if (delay <= 0) {
                if (fiber.effectivelyCancelled()) {
                    return RunLoop.cancelled(); // no other attempt once cancelled
                }
            } else if (!fiber.sleepUntil(clock, Durations.deadline(clock.nanoTime(), delay), RETRY_DELAY,
                    "(a retry delay)")) {
                return RunLoop.cancelled();
            }
        }
    }
}
