package aivi.concurrency;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * When and how often {@link Concurrency#retry(Schedule, Effect)} runs an effect again after a typed failure:
 * the delays between attempts, the limits that end the retrying, and which errors are worth retrying.
 *
 * <p>A schedule is immutable and may be shared by any number of fibers. It starts from a base delay sequence
 * ({@link #immediate()}, {@link #fixedDelay}, {@link #exponential}); each modifier returns a copy with one
 * setting replaced (calling the same modifier twice keeps the last value):
 * <ul>
 *   <li>{@link #maxDelay}: caps every delay;</li>
 *   <li>{@link #withJitter()}: randomizes every (capped) delay with <em>full jitter</em>;</li>
 *   <li>{@link #maxAttempts}: the total number of runs, the first one included;</li>
 *   <li>{@link #maxElapsed}: no attempt starts later than this after the first one started;</li>
 *   <li>{@link #retryIf}: only errors that match are retried, any other error fails at once;</li>
 *   <li>{@link #onRetry}: an effect run before each retry, to log or count.</li>
 * </ul>
 *
 * <p>A schedule with neither {@code maxAttempts} nor {@code maxElapsed} retries for as long as the effect
 * keeps failing with a matching error.
 *
 * {@snippet :
 * Effect<IOException, String> fetch = Effect.attempt(() -> Files.readString(Path.of("data.txt")),
 *         e -> e instanceof IOException io ? io : new IOException(e));
 * Effect<IOException, String> robust = Concurrency.retry(
 *         Schedule.exponential(Duration.ofMillis(100))   // 100 ms, 200 ms, 400 ms, ...
 *                 .maxDelay(Duration.ofSeconds(5))
 *                 .withJitter()
 *                 .maxAttempts(6)
 *                 .retryIf(e -> !(e instanceof NoSuchFileException)),
 *         fetch);
 * }
 *
 * <p><b>Delays.</b> After attempt {@code n} (counting from 1) has failed, the base delay is
 * {@code initial * factor^(n-1)} ({@code factor} is 1 for a fixed delay), then capped by {@code maxDelay},
 * then jittered. All delays are waited on the runtime's {@link Clock}, so on a {@link TestClock} a test
 * controls them. Delays are computed in nanoseconds and saturate at about 73 years.
 *
 * <p><b>Typing.</b> The type parameter {@code E} is the error type the predicate and the hook look at. A
 * schedule only consumes errors, so a {@code Schedule<Object>} serves any effect, and every modifier can
 * narrow the type to a subtype {@code F} of {@code E}: Java infers {@code F} from where the schedule is used,
 * so {@code retryIf(e -> e.isTransient())} at the end of a chain passed to {@code retry} sees the effect's
 * error type without a type witness. Early in a chain, give the lambda's parameter a type
 * ({@code (IOException e) -> ...}) or assign the schedule to a typed variable.
 *
 * @param <E> the error type the schedule's predicate and hook accept
 */
public final class Schedule<E> {

    /** The largest delay or duration in nanoseconds (about 73 years); adding two of them cannot overflow. */
    private static final long MAX_NANOS = Long.MAX_VALUE / 4;
    /** {@link #maxAttempts} when unlimited. */
    private static final int UNLIMITED = 0;
    /** {@link #maxElapsedNanos} and {@link #maxDelayNanos} when unset. */
    private static final long UNSET = -1;
    /** The jitter generator meaning "the current thread's {@link ThreadLocalRandom}". */
    private static final RandomGenerator THREAD_LOCAL = new RandomGenerator() {
        @Override
        public long nextLong() {
            return ThreadLocalRandom.current().nextLong();
        }

        @Override
        public long nextLong(long bound) {
            return ThreadLocalRandom.current().nextLong(bound);
        }

        @Override
        public String toString() {
            return "ThreadLocalRandom";
        }
    };

    private final String base;
    private final long initialNanos;
    private final double factor;
    private final long maxDelayNanos;
    /** {@code null}: no jitter. */
    private final RandomGenerator jitter;
    private final long maxElapsedNanos;
    private final int maxAttempts;
    /** {@code null}: every error is retried. */
    private final Predicate<? super E> retryIf;
    /** {@code null}: no hook. */
    private final Function<? super RetryEvent<E>, ? extends Effect<?, ?>> onRetry;

    private Schedule(String base, long initialNanos, double factor, long maxDelayNanos, RandomGenerator jitter,
                     long maxElapsedNanos, int maxAttempts, Predicate<? super E> retryIf,
                     Function<? super RetryEvent<E>, ? extends Effect<?, ?>> onRetry) {
        this.base = base;
        this.initialNanos = initialNanos;
        this.factor = factor;
        this.maxDelayNanos = maxDelayNanos;
        this.jitter = jitter;
        this.maxElapsedNanos = maxElapsedNanos;
        this.maxAttempts = maxAttempts;
        this.retryIf = retryIf;
        this.onRetry = onRetry;
    }

    private static <E> Schedule<E> of(String base, long initialNanos, double factor) {
        return new Schedule<>(base, initialNanos, factor, UNSET, null, UNSET, UNLIMITED, null, null);
    }

    /**
     * What {@link #onRetry} hooks receive: a retry is about to happen.
     *
     * @param attempt the number of the attempt that just failed, counting from 1
     * @param error   its error
     * @param delay   the delay before the next attempt (jitter and cap applied)
     * @param elapsed the time since the first attempt started, on the runtime's clock
     * @param <E>     the error type
     */
    public record RetryEvent<E>(int attempt, E error, Duration delay, Duration elapsed) {
    }

    // ------------------------------------------------------------------------------------------------------
    // Base schedules

    /**
     * Retries at once, with no delay.
     *
     * {@snippet :
     * Effect<String, Integer> e = Concurrency.retry(Schedule.immediate().maxAttempts(3), Effect.fail("x"));
     * }
     *
     * @param <E> the error type
     * @return the schedule
     */
    public static <E> Schedule<E> immediate() {
        return of("immediate", 0, 1.0);
    }

    /**
     * Waits {@code delay} before every retry.
     *
     * {@snippet :
     * Schedule<Object> everySecond = Schedule.fixedDelay(Duration.ofSeconds(1)).maxAttempts(5);
     * }
     *
     * @param delay the delay; zero means {@link #immediate()}
     * @param <E>   the error type
     * @return the schedule
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public static <E> Schedule<E> fixedDelay(Duration delay) {
        long nanos = nonNegative(delay, "Schedule.fixedDelay", "delay");
        return of("fixedDelay(" + DurationText.format(delay) + ")", nanos, 1.0);
    }

    /**
     * Exponential backoff with factor 2: waits {@code initial} before the first retry, then twice as long
     * before each following one ({@code initial}, {@code 2*initial}, {@code 4*initial}, ...).
     *
     * {@snippet :
     * Schedule<Object> backoff = Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(10));
     * }
     *
     * @param initial the first delay
     * @param <E>     the error type
     * @return the schedule
     * @throws IllegalArgumentException if {@code initial} is not positive
     */
    public static <E> Schedule<E> exponential(Duration initial) {
        return exponential(initial, 2.0);
    }

    /**
     * Exponential backoff: waits {@code initial} before the first retry and {@code initial * factor^(n-1)}
     * before retry {@code n}.
     *
     * {@snippet :
     * Schedule<Object> gentle = Schedule.exponential(Duration.ofMillis(100), 1.5); // 100, 150, 225 ms, ...
     * }
     *
     * @param initial the first delay
     * @param factor  the growth factor; at least 1 (1 is a fixed delay)
     * @param <E>     the error type
     * @return the schedule
     * @throws IllegalArgumentException if {@code initial} is not positive, or {@code factor} is less than 1,
     *                                  infinite or NaN
     */
    public static <E> Schedule<E> exponential(Duration initial, double factor) {
        Objects.requireNonNull(initial, "Schedule.exponential: initial must not be null");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("Schedule.exponential: initial must be > 0, was " + initial);
        }
        if (!(factor >= 1.0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("Schedule.exponential: factor must be >= 1 and finite, was "
                    + factor);
        }
        return of("exponential(" + DurationText.format(initial) + ", x" + factor + ")", saturatedNanos(initial), factor);
    }

    // ------------------------------------------------------------------------------------------------------
    // Modifiers

    /**
     * Caps every delay at {@code max} (before jitter, so a jittered delay never exceeds it either).
     *
     * {@snippet :
     * Schedule<Object> capped = Schedule.exponential(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(2));
     * }
     *
     * @param max the largest delay
     * @param <F> the error type of the result (inferred; any subtype of {@code E})
     * @return a copy with the cap
     * @throws IllegalArgumentException if {@code max} is negative
     */
    public <F extends E> Schedule<F> maxDelay(Duration max) {
        long nanos = nonNegative(max, "Schedule.maxDelay", "max");
        return new Schedule<E>(base, initialNanos, factor, nanos, jitter, maxElapsedNanos, maxAttempts,
                retryIf, onRetry).narrow();
    }

    /**
     * Randomizes every delay with <em>full jitter</em>: instead of the (capped) delay {@code d}, waits a
     * uniformly random time in {@code [0, d]}. Spreads the retries of many clients that failed together (see
     * "Exponential Backoff And Jitter" on the AWS Architecture Blog). Uses {@link ThreadLocalRandom}.
     *
     * {@snippet :
     * Schedule<Object> spread = Schedule.exponential(Duration.ofMillis(100)).withJitter();
     * }
     *
     * @param <F> the error type of the result (inferred; any subtype of {@code E})
     * @return a copy with jitter
     */
    public <F extends E> Schedule<F> withJitter() {
        return withJitter(THREAD_LOCAL);
    }

    /**
     * Randomizes every delay with full jitter, like {@link #withJitter()}, drawing from {@code random}: pass a
     * seeded generator for reproducible delays. The generator is called by whichever fiber is retrying; if
     * the schedule is used by several fibers at once, it must be thread-safe (as {@link java.util.Random}
     * is).
     *
     * {@snippet :
     * Schedule<Object> reproducible = Schedule.fixedDelay(Duration.ofSeconds(1))
     *         .withJitter(new java.util.SplittableRandom(42));
     * }
     *
     * @param random the source of randomness
     * @param <F>    the error type of the result (inferred; any subtype of {@code E})
     * @return a copy with jitter
     */
    public <F extends E> Schedule<F> withJitter(RandomGenerator random) {
        Objects.requireNonNull(random, "Schedule.withJitter: random must not be null");
        return new Schedule<E>(base, initialNanos, factor, maxDelayNanos, random, maxElapsedNanos, maxAttempts,
                retryIf, onRetry).narrow();
    }

    /**
     * Limits the total number of runs, the first one included: {@code maxAttempts(3)} runs the effect at most
     * three times (two retries). {@code maxAttempts(1)} never retries.
     *
     * {@snippet :
     * Schedule<Object> threeRuns = Schedule.fixedDelay(Duration.ofMillis(50)).maxAttempts(3);
     * }
     *
     * @param attempts the total number of runs; at least 1
     * @param <F>      the error type of the result (inferred; any subtype of {@code E})
     * @return a copy with the limit
     * @throws IllegalArgumentException if {@code attempts < 1}
     */
    public <F extends E> Schedule<F> maxAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("Schedule.maxAttempts: attempts must be >= 1, was " + attempts);
        }
        return new Schedule<E>(base, initialNanos, factor, maxDelayNanos, jitter, maxElapsedNanos, attempts,
                retryIf, onRetry).narrow();
    }

    /**
     * Limits the time spent retrying, measured on the runtime's {@link Clock} from the start of the first
     * attempt: a retry happens only if its attempt would start within {@code max}, that is if the time
     * elapsed when an attempt fails plus the next delay is at most {@code max}. Otherwise the retry fails at
     * once with the last error, without waiting. It does not interrupt a running attempt: for that, wrap the
     * effect in {@link Concurrency#timeoutWith}.
     *
     * {@snippet :
     * Schedule<Object> withinAMinute = Schedule.exponential(Duration.ofSeconds(1)).maxElapsed(Duration.ofMinutes(1));
     * }
     *
     * @param max the time budget
     * @param <F> the error type of the result (inferred; any subtype of {@code E})
     * @return a copy with the limit
     * @throws IllegalArgumentException if {@code max} is negative
     */
    public <F extends E> Schedule<F> maxElapsed(Duration max) {
        long nanos = nonNegative(max, "Schedule.maxElapsed", "max");
        return new Schedule<E>(base, initialNanos, factor, maxDelayNanos, jitter, nanos, maxAttempts,
                retryIf, onRetry).narrow();
    }

    /**
     * Retries only errors that match {@code predicate}; the first error that does not match ends the retry
     * at once with that error. An exception thrown by the predicate is a defect.
     *
     * {@snippet :
     * Effect<String, String> call = Effect.fail("503");
     * Effect<String, String> retried = Concurrency.retry(
     *         Schedule.fixedDelay(Duration.ofMillis(10)).maxAttempts(3).retryIf(e -> e.startsWith("5")),
     *         call);
     * }
     *
     * @param predicate which errors to retry
     * @param <F>       the error type of the result (inferred; any subtype of {@code E})
     * @return a copy with the predicate, replacing any earlier one
     */
    public <F extends E> Schedule<F> retryIf(Predicate<? super F> predicate) {
        Objects.requireNonNull(predicate, "Schedule.retryIf: predicate must not be null");
        Schedule<F> self = narrow();
        return new Schedule<>(base, initialNanos, factor, maxDelayNanos, jitter, maxElapsedNanos, maxAttempts,
                predicate, self.onRetry);
    }

    /**
     * Runs the effect {@code hook} makes of each {@link RetryEvent} after an attempt has failed and before the
     * retry's delay: the place to log or count retries. It is not called when the retrying ends (the error
     * is then the outcome). A typed failure or defect of the hook ends the retry with a defect (a typed
     * failure wrapped in a {@link FailureException}); cancelling it cancels the retry.
     *
     * {@snippet :
     * Schedule<String> logged = Schedule.fixedDelay(Duration.ofMillis(100)).maxAttempts(3)
     *         .onRetry(r -> Effect.sync(() -> {
     *             System.out.println("attempt " + r.attempt() + " failed with " + r.error()
     *                     + ", retrying in " + r.delay());
     *             return Unit.UNIT;
     *         }));
     * }
     *
     * @param hook makes the effect to run before each retry
     * @param <F>  the error type of the result (inferred; any subtype of {@code E})
     * @return a copy with the hook, replacing any earlier one
     */
    public <F extends E> Schedule<F> onRetry(Function<? super RetryEvent<F>, ? extends Effect<?, ?>> hook) {
        Objects.requireNonNull(hook, "Schedule.onRetry: hook must not be null");
        Schedule<F> self = narrow();
        return new Schedule<>(base, initialNanos, factor, maxDelayNanos, jitter, maxElapsedNanos, maxAttempts,
                self.retryIf, hook);
    }

    /**
     * This schedule typed for a narrower error type {@code F}: sound because a schedule only consumes errors
     * (its predicate and its hook take them), and every {@code F} is an {@code E}.
     */
    @SuppressWarnings("unchecked")
    private <F extends E> Schedule<F> narrow() {
        return (Schedule<F>) this;
    }

    // ------------------------------------------------------------------------------------------------------
    // Decisions (used by Retrying)

    /** {@link #nextDelayNanos}'s answer for "do not retry". */
    static final long STOP = -1;

    /**
     * Decides what follows the failure of attempt {@code attempt} (from 1) with {@code error}, when
     * {@code elapsedNanos} have passed since the first attempt started: the delay in nanoseconds before the
     * next attempt, or {@link #STOP}. Draws from the jitter generator only when a retry is otherwise allowed.
     */
    long nextDelayNanos(int attempt, E error, long elapsedNanos) {
        if (retryIf != null && !retryIf.test(error)) {
            return STOP;
        }
        return nextRunDelayNanos(attempt, elapsedNanos);
    }

    /**
     * The delay before run {@code run + 1} when run {@code run} (from 1) has ended and {@code elapsedNanos}
     * have passed since the first run started, or {@link #STOP}: the delays and limits without the error
     * predicate. Used by {@link Concurrency#repeat} (after successes) and by {@link #nextDelayNanos}.
     */
    long nextRunDelayNanos(int attempt, long elapsedNanos) {
        if (maxAttempts != UNLIMITED && attempt >= maxAttempts) {
            return STOP;
        }
        long delay = baseDelayNanos(attempt);
        if (maxDelayNanos != UNSET) {
            delay = Math.min(delay, maxDelayNanos);
        }
        if (jitter != null && delay > 0) {
            delay = jitter.nextLong(delay + 1); // full jitter: uniform in [0, delay]
        }
        if (maxElapsedNanos != UNSET && Math.max(elapsedNanos, 0) + delay > maxElapsedNanos) {
            return STOP;
        }
        return delay;
    }

    /** {@code initial * factor^(attempt-1)}, saturated at {@link #MAX_NANOS}. */
    private long baseDelayNanos(int attempt) {
        if (factor == 1.0 || initialNanos == 0) {
            return initialNanos;
        }
        double d = initialNanos * Math.pow(factor, attempt - 1);
        return d >= MAX_NANOS ? MAX_NANOS : (long) d;
    }

    /** The hook's effect for this retry, or {@code null} if there is no hook. */
    Effect<?, ?> onRetryEffect(int attempt, E error, long delayNanos, long elapsedNanos) {
        if (onRetry == null) {
            return null;
        }
        Effect<?, ?> effect = onRetry.apply(new RetryEvent<>(attempt, error, Duration.ofNanos(delayNanos),
                Duration.ofNanos(Math.max(elapsedNanos, 0))));
        return Objects.requireNonNull(effect, "Schedule.onRetry: the hook returned null");
    }

    // ------------------------------------------------------------------------------------------------------

    private static long nonNegative(Duration d, String where, String name) {
        Objects.requireNonNull(d, where + ": " + name + " must not be null");
        if (d.isNegative()) {
            throw new IllegalArgumentException(where + ": " + name + " must be >= 0, was " + d);
        }
        return saturatedNanos(d);
    }

    private static long saturatedNanos(Duration d) {
        if (d.compareTo(Duration.ofNanos(MAX_NANOS)) >= 0) {
            return MAX_NANOS;
        }
        return d.toNanos();
    }

    /**
     * Describes the schedule, with durations for people, e.g. {@code Schedule[exponential(100 ms, x2.0),
     * maxDelay=5 s, jitter=full, maxAttempts=6]}.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Schedule[").append(base);
        if (maxDelayNanos != UNSET) {
            sb.append(", maxDelay=").append(DurationText.formatNanos(maxDelayNanos));
        }
        if (jitter != null) {
            sb.append(", jitter=full");
        }
        if (maxAttempts != UNLIMITED) {
            sb.append(", maxAttempts=").append(maxAttempts);
        }
        if (maxElapsedNanos != UNSET) {
            sb.append(", maxElapsed=").append(DurationText.formatNanos(maxElapsedNanos));
        }
        if (retryIf != null) {
            sb.append(", retryIf");
        }
        if (onRetry != null) {
            sb.append(", onRetry");
        }
        return sb.append(']').toString();
    }
}
