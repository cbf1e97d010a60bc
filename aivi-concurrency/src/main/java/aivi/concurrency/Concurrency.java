package aivi.concurrency;

import com.google.errorprone.annotations.CheckReturnValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import aivi.concurrency.internal.channel.Channel;

/**
 * The functions of the {@code aivi.concurrency} domain, with the AIVI language's names: {@link #par par},
 * {@link #race race}, {@link #scope scope}, {@link #spawn spawn}, {@link #timeoutWith timeoutWith},
 * {@link #retry retry}, {@link #sleep sleep}, and the channel functions.
 *
 * <p>Every function returns an {@link Effect}; nothing runs until the effect is run. Fibers are virtual
 * threads, and every fiber started here belongs to a scope: when a combinator returns, the fibers it started
 * have terminated.
 *
 * {@snippet :
 * Effect<String, String> slow = Effect.gen(d -> {
 *     d.await(Concurrency.sleep(200));
 *     return "left";
 * });
 * Effect<String, String> fast = Effect.<String, String>succeed("right").zipLeft(Concurrency.sleep(10));
 * String winner = Concurrency.race(slow, fast).runOrThrow(); // "right"
 * }
 *
 * <p>Functions that cannot fail leave the error type {@code E} free; Java infers it from where the call is
 * used (an argument, a typed variable, {@code d.await}), never from a chain after it. See {@link Effects}
 * for chains that must start with one of them.
 */
@CheckReturnValue
public final class Concurrency {
    private Concurrency() {
    }

    // ------------------------------------------------------------------------------------------------------
    // par

    /**
     * Runs both effects at once and yields both values. If one fails or dies, the other is cancelled;
     * {@code par} returns only after it has terminated (its finalizers ran) and fails with the first failure
     * in time; a later failure is kept (attached to a defect as suppressed, or given to the runtime's error
     * handler), never lost.
     *
     * <p>{@code left} runs on the calling fiber and {@code right} on a new one.
     *
     * {@snippet :
     * Effect<String, Pair<Integer, Integer>> both = Concurrency.par(Effect.succeed(1), Effect.succeed(2));
     * }
     *
     * @param left  the first effect
     * @param right the second effect
     * @param <E>   the typed error
     * @param <A>   the first value type
     * @param <B>   the second value type
     * @return the effect
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <E, A, B> Effect<E, Pair<A, B>> par(Effect<E, A> left, Effect<E, B> right) {
        Objects.requireNonNull(left, "Concurrency.par: left must not be null");
        Objects.requireNonNull(right, "Concurrency.par: right must not be null");
        return new Node.Prim<>(fiber -> (Exit) Structured.par(fiber, left, right));
    }

    /**
     * Runs three effects at once and combines their values with {@code combine}: {@link #par} for three
     * effects of different types, without nested {@link Pair}s. Fails fast like {@link #par}: the first
     * failure cancels the others, which have terminated when this returns.
     *
     * {@snippet :
     * Effect<String, String> page = Concurrency.par(
     *         Effect.succeed("Ada"), Effect.succeed(36), Effect.succeed(true),
     *         (name, age, admin) -> name + " (" + age + ")" + (admin ? " admin" : ""));
     * }
     *
     * @param a       the first effect (it runs on the calling fiber)
     * @param b       the second effect
     * @param c       the third effect
     * @param combine combines the three values; an exception it throws is a defect
     * @param <E>     the typed error
     * @param <A>     the first value type
     * @param <B>     the second value type
     * @param <C>     the third value type
     * @param <R>     the result type
     * @return the effect
     * @throws NullPointerException if an argument is {@code null}
     */
    @SuppressWarnings("unchecked")
    public static <E, A, B, C, R> Effect<E, R> par(Effect<E, A> a, Effect<E, B> b, Effect<E, C> c,
                                                   Function3<? super A, ? super B, ? super C, ? extends R> combine) {
        Objects.requireNonNull(a, "Concurrency.par: a must not be null");
        Objects.requireNonNull(b, "Concurrency.par: b must not be null");
        Objects.requireNonNull(c, "Concurrency.par: c must not be null");
        Objects.requireNonNull(combine, "Concurrency.par: combine must not be null");
        return parAll(List.<Effect<E, Object>>of(widen(a), widen(b), widen(c)))
                .map(v -> combine.apply((A) v.get(0), (B) v.get(1), (C) v.get(2)));
    }

    /**
     * Runs four effects at once and combines their values with {@code combine}; see
     * {@link #par(Effect, Effect, Effect, Function3)}.
     *
     * {@snippet :
     * Effect<String, Integer> total = Concurrency.par(
     *         Effect.succeed(1), Effect.succeed(2L), Effect.succeed("3"), Effect.succeed(4.0),
     *         (i, l, s, d) -> i + l.intValue() + Integer.parseInt(s) + d.intValue()); // 10
     * }
     *
     * @param a       the first effect (it runs on the calling fiber)
     * @param b       the second effect
     * @param c       the third effect
     * @param d       the fourth effect
     * @param combine combines the four values; an exception it throws is a defect
     * @param <E>     the typed error
     * @param <A>     the first value type
     * @param <B>     the second value type
     * @param <C>     the third value type
     * @param <D>     the fourth value type
     * @param <R>     the result type
     * @return the effect
     * @throws NullPointerException if an argument is {@code null}
     */
    @SuppressWarnings("unchecked")
    public static <E, A, B, C, D, R> Effect<E, R> par(Effect<E, A> a, Effect<E, B> b, Effect<E, C> c,
            Effect<E, D> d, Function4<? super A, ? super B, ? super C, ? super D, ? extends R> combine) {
        Objects.requireNonNull(a, "Concurrency.par: a must not be null");
        Objects.requireNonNull(b, "Concurrency.par: b must not be null");
        Objects.requireNonNull(c, "Concurrency.par: c must not be null");
        Objects.requireNonNull(d, "Concurrency.par: d must not be null");
        Objects.requireNonNull(combine, "Concurrency.par: combine must not be null");
        return parAll(List.<Effect<E, Object>>of(widen(a), widen(b), widen(c), widen(d)))
                .map(v -> combine.apply((A) v.get(0), (B) v.get(1), (C) v.get(2), (D) v.get(3)));
    }

    /** Sound: an effect only produces its value, so an {@code Effect<E, A>} is an {@code Effect<E, Object>}. */
    @SuppressWarnings("unchecked")
    private static <E> Effect<E, Object> widen(Effect<E, ?> effect) {
        return (Effect<E, Object>) effect;
    }

    /**
     * Runs all effects at once and yields their values in input order; fails fast like {@link #par}.
     *
     * @param effects the effects
     * @param <E>     the typed error
     * @param <A>     the value type
     * @return the effect
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <E, A> Effect<E, List<A>> parAll(List<? extends Effect<E, A>> effects) {
        List<Effect<E, A>> copy = List.copyOf(Objects.requireNonNull(effects,
                "Concurrency.parAll: effects must not be null"));
        return new Node.Prim<>(fiber -> (Exit) Structured.parAll(fiber, copy));
    }

    /**
     * Runs the effects with at most {@code maxParallelism} running at once and yields their values in input
     * order; fails fast like {@link #par}.
     *
     * @param maxParallelism the most effects running at once; at least 1
     * @param effects        the effects
     * @param <E>            the typed error
     * @param <A>            the value type
     * @return the effect
     * @throws IllegalArgumentException if {@code maxParallelism < 1}
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <E, A> Effect<E, List<A>> parAll(int maxParallelism, List<? extends Effect<E, A>> effects) {
        if (maxParallelism < 1) {
            throw new IllegalArgumentException("Concurrency.parAll: maxParallelism must be >= 1, was "
                    + maxParallelism);
        }
        List<Effect<E, A>> copy = List.copyOf(Objects.requireNonNull(effects,
                "Concurrency.parAll: effects must not be null"));
        if (maxParallelism >= copy.size()) {
            return parAll(copy);
        }
        return Effect.suspend(() -> {
            int n = copy.size();
            Object[] results = new Object[n];
            AtomicInteger next = new AtomicInteger();
            List<Effect<E, Unit>> workers = new ArrayList<>(maxParallelism);
            for (int w = 0; w < maxParallelism; w++) {
                workers.add(worker(copy, results, next));
            }
            return parAll(workers).map(ignored -> (List<A>) (List) java.util.Collections.unmodifiableList(
                    java.util.Arrays.asList(results)));
        });
    }

    private static <E, A> Effect<E, Unit> worker(List<Effect<E, A>> effects, Object[] results, AtomicInteger next) {
        return Effect.suspend(() -> {
            int i = next.getAndIncrement();
            if (i >= effects.size()) {
                return Effect.unit();
            }
            return effects.get(i).flatMap(v -> {
                results[i] = v; // published to the joiner by the fiber's termination (happens-before)
                return worker(effects, results, next);
            });
        });
    }

    // ------------------------------------------------------------------------------------------------------
    // race

    /**
     * Runs both effects at once; the first to <em>complete</em>, with success or failure, wins. The loser is
     * cancelled and has terminated before {@code race} returns. For the first <em>success</em>, see
     * {@link #raceSuccess}.
     *
     * {@snippet :
     * Effect<String, String> r = Concurrency.race(
     *         Concurrency.<String>sleep(1_000).as("slow"),
     *         Effect.succeed("fast")); // "fast"
     * }
     *
     * @param left  the first effect (it runs on the calling fiber)
     * @param right the second effect
     * @param <E>   the typed error
     * @param <A>   the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> race(Effect<E, A> left, Effect<E, A> right) {
        Objects.requireNonNull(left, "Concurrency.race: left must not be null");
        Objects.requireNonNull(right, "Concurrency.race: right must not be null");
        return raceImpl(List.of(left, right), false);
    }

    /**
     * Runs all effects at once; the first to complete wins and the others are cancelled and awaited.
     *
     * @param effects the effects; at least one
     * @param <E>     the typed error
     * @param <A>     the value type
     * @return the effect
     * @throws IllegalArgumentException if {@code effects} is empty
     */
    public static <E, A> Effect<E, A> raceAll(List<? extends Effect<E, A>> effects) {
        return raceImpl(nonEmpty(effects, "Concurrency.raceAll"), false);
    }

    /**
     * Runs both effects at once; the first to <em>succeed</em> wins and the other is cancelled and awaited.
     * Fails only when both fail, with the last failure (the other is kept: attached or reported).
     *
     * @param left  the first effect
     * @param right the second effect
     * @param <E>   the typed error
     * @param <A>   the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> raceSuccess(Effect<E, A> left, Effect<E, A> right) {
        Objects.requireNonNull(left, "Concurrency.raceSuccess: left must not be null");
        Objects.requireNonNull(right, "Concurrency.raceSuccess: right must not be null");
        return raceImpl(List.of(left, right), true);
    }

    /**
     * Runs all effects at once; the first to succeed wins; fails only when all fail, with the last failure.
     *
     * @param effects the effects; at least one
     * @param <E>     the typed error
     * @param <A>     the value type
     * @return the effect
     * @throws IllegalArgumentException if {@code effects} is empty
     */
    public static <E, A> Effect<E, A> raceSuccessAll(List<? extends Effect<E, A>> effects) {
        return raceImpl(nonEmpty(effects, "Concurrency.raceSuccessAll"), true);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <E, A> Effect<E, A> raceImpl(List<? extends Effect<E, A>> effects, boolean successOnly) {
        return new Node.Prim<>(fiber -> (Exit) Structured.race(fiber, effects, successOnly));
    }

    private static <T> List<T> nonEmpty(List<T> list, String where) {
        List<T> copy = List.copyOf(Objects.requireNonNull(list, where + ": effects must not be null"));
        if (copy.isEmpty()) {
            throw new IllegalArgumentException(where + ": effects must not be empty");
        }
        return copy;
    }

    // ------------------------------------------------------------------------------------------------------
    // scope and spawn

    /**
     * Opens a structured-concurrency scope: {@code run} builds the body, which runs on the calling fiber;
     * the {@link Scope} handle spawns children on new fibers. Children still running when the body ends are
     * cancelled, and the scope returns only after all have terminated. A child that fails or dies cancels
     * the body and its siblings, and the scope fails with that first error. See {@link Scope}.
     *
     * {@snippet :
     * Effect<String, Integer> sum = Concurrency.scope(s ->
     *         s.spawn(Effect.<String, Integer>succeed(40)).flatMap(task ->
     *         task.join().map(n -> n + 2)));
     * }
     *
     * @param run builds the body from the scope handle
     * @param <E> the typed error
     * @param <A> the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> scope(Function<Scope, Effect<E, A>> run) {
        Objects.requireNonNull(run, "Concurrency.scope: run must not be null");
        return new Node.Prim<>(fiber -> Structured.scope(fiber, run));
    }

    /**
     * Starts {@code effect} on a new fiber in the innermost scope of the current fiber (every fiber is a
     * scope for what it spawns: outside an explicit {@link #scope}, the child belongs to the spawning fiber,
     * which cancels and awaits it when its own effect ends, and fails if the child fails).
     *
     * @param effect the effect to start
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return an effect yielding the task handle
     */
    public static <E, A> Effect<E, Task<E, A>> spawn(Effect<E, A> effect) {
        Objects.requireNonNull(effect, "Concurrency.spawn: effect must not be null");
        return new SpawnOp<>(effect);
    }

    /** {@code spawn} as one primitive step: yields the task itself, with no success {@link Exit} to unwrap. */
    private static final class SpawnOp<E, A> extends Node.Op<E, Task<E, A>> {
        private final Effect<E, A> effect;

        SpawnOp(Effect<E, A> effect) {
            this.effect = effect;
        }

        @Override
        Object step(Fiber fiber) {
            return fiber.innermostScope().start(fiber, effect);
        }
    }

    /**
     * Starts {@code effect} on a new fiber that belongs to the {@link EffectRuntime}, not to any scope: it outlives
     * the effect that started it. Its failure, if nobody joins it, goes to the runtime's error handler;
     * {@link EffectRuntime#close()} cancels and awaits it.
     *
     * @param effect the effect to start
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return an effect yielding the task handle
     */
    public static <E, A> Effect<E, Task<E, A>> spawnDetached(Effect<E, A> effect) {
        Objects.requireNonNull(effect, "Concurrency.spawnDetached: effect must not be null");
        return new Node.Prim<>(fiber -> Exit.success(fiber.runtime.startDetached(fiber, effect)));
    }

    // ------------------------------------------------------------------------------------------------------
    // time

    /**
     * Suspends the fiber for at least {@code millis} milliseconds of the runtime's clock (a parked virtual
     * thread, never a blocked carrier). {@code millis <= 0} returns at once. Cancellable promptly.
     *
     * @param millis how long to sleep
     * @param <E>    the typed error
     * @return the effect
     */
    public static <E> Effect<E, Unit> sleep(long millis) {
        return sleepNanos(Durations.millisToNanos(millis));
    }

    /** The one sleep loop: {@code nanos} from {@link Durations}, already saturated. */
    static <E> Effect<E, Unit> sleepNanos(long nanos) {
        if (nanos <= 0) {
            return Effect.unit();
        }
        Object what = new SleepOf(nanos); // what a dump shows; allocated once per effect, not per run
        return new Node.Prim<>(fiber -> {
            Clock clock = fiber.runtime.clock();
            long deadline = Durations.deadline(clock.nanoTime(), nanos);
            boolean slept = clock == SystemClock.INSTANCE
                    ? fiber.sleepOnTimers(deadline, SLEEP, what)
                    : fiber.sleepUntil(clock, deadline, SLEEP, what);
            return slept ? Exit.success(Unit.UNIT) : RunLoop.cancelled();
        });
    }

    /** What a sleeping fiber waits on, as a dump shows it. */
    private record SleepOf(long nanos) {
        @Override
        public String toString() {
            return "of " + FiberDump.format(java.time.Duration.ofNanos(nanos));
        }
    }

    /**
     * Suspends the fiber for {@code duration}; see {@link #sleep(long)}. The duration is used to the
     * nanosecond (a duration under a millisecond still sleeps); a zero or negative duration returns at
     * once; a duration too large for the clock saturates (about 73 years), as the {@code long} overload
     * does.
     *
     * {@snippet :
     * Effect<String, Unit> blink = Concurrency.sleep(Duration.ofNanos(500_000)); // half a millisecond
     * }
     *
     * @param duration how long to sleep
     * @param <E>      the typed error
     * @return the effect
     * @throws NullPointerException if {@code duration} is null
     */
    public static <E> Effect<E, Unit> sleep(Duration duration) {
        return sleepNanos(Durations.toNanos(duration, "Concurrency.sleep: duration"));
    }

    private static final Object SLEEP = new Object() {
        @Override
        public String toString() {
            return "aivi.concurrency.sleep";
        }
    };

    /**
     * Runs {@code effect} with a time limit: its own outcome if it completes within {@code millis}; otherwise
     * it is cancelled, and once it has terminated the result is the failure {@code timeoutError}.
     * {@code millis <= 0} times out at once without running the effect.
     *
     * {@snippet :
     * Effect<String, Integer> nine = Concurrency.timeoutWith(100, "timeout", Effect.succeed(9)); // 9
     * }
     *
     * @param millis       the limit in milliseconds of the runtime's clock
     * @param timeoutError the error on timeout
     * @param effect       the effect
     * @param <E>          the typed error
     * @param <A>          the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> timeoutWith(long millis, E timeoutError, Effect<E, A> effect) {
        Objects.requireNonNull(timeoutError, "Concurrency.timeoutWith: timeoutError must not be null");
        Objects.requireNonNull(effect, "Concurrency.timeoutWith: effect must not be null");
        Exit<E, A> onTimeout = Exit.failure(timeoutError);
        if (millis <= 0) {
            return Effect.fromExit(onTimeout);
        }
        long nanos = Durations.millisToNanos(millis);
        return new Node.Prim<>(fiber -> Structured.timeout(fiber, nanos, onTimeout, effect));
    }

    /**
     * {@link #timeoutWith(long, Object, Effect)} with the limit as a {@link Duration}, used to the nanosecond
     * (a positive limit under a millisecond still runs the effect); a huge limit saturates (about 73 years).
     *
     * {@snippet :
     * Effect<String, Integer> nine = Concurrency.timeoutWith(Duration.ofMillis(100), "timeout", Effect.succeed(9));
     * }
     *
     * @param limit        the limit on the runtime's clock; zero or negative times out at once
     * @param timeoutError the error on timeout
     * @param effect       the effect
     * @param <E>          the typed error
     * @param <A>          the value type
     * @return the effect
     * @throws NullPointerException if an argument is {@code null}
     */
    public static <E, A> Effect<E, A> timeoutWith(Duration limit, E timeoutError, Effect<E, A> effect) {
        long nanos = Durations.toNanos(limit, "Concurrency.timeoutWith: limit");
        Objects.requireNonNull(timeoutError, "Concurrency.timeoutWith: timeoutError must not be null");
        Objects.requireNonNull(effect, "Concurrency.timeoutWith: effect must not be null");
        Exit<E, A> onTimeout = Exit.failure(timeoutError);
        if (nanos <= 0) {
            return Effect.fromExit(onTimeout);
        }
        return new Node.Prim<>(fiber -> Structured.timeout(fiber, nanos, onTimeout, effect));
    }

    /**
     * Runs {@code effect} with a time limit and yields {@code Optional.empty()} if it does not complete in
     * time (it is then cancelled and awaited), or {@code Optional.of(value)} if it succeeds in time.
     *
     * <p>The limit is used to the nanosecond (a limit under a millisecond still runs the effect); a zero or
     * negative limit times out at once without running it; a huge one saturates (about 73 years). An
     * effect that succeeds with {@code null} ends in a defect ({@link NullPointerException}): an empty
     * {@code Optional} would be indistinguishable from a timeout. Use {@link #timeoutWith} for effects
     * whose value may be null.
     *
     * {@snippet :
     * Effect<String, Optional<Integer>> quick = Concurrency.timeout(Duration.ofSeconds(1), Effect.succeed(1));
     * }
     *
     * @param limit  the limit
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the effect
     * @throws NullPointerException if {@code limit} or {@code effect} is null
     */
    public static <E, A> Effect<E, Optional<A>> timeout(Duration limit, Effect<E, A> effect) {
        long nanos = Durations.toNanos(limit, "Concurrency.timeout: limit");
        Objects.requireNonNull(effect, "Concurrency.timeout: effect must not be null");
        Exit<E, Optional<A>> onTimeout = Exit.success(Optional.empty());
        if (nanos <= 0) {
            return Effect.fromExit(onTimeout);
        }
        Effect<E, Optional<A>> wrapped = effect.map(a -> Optional.of(Objects.requireNonNull(a,
                "Concurrency.timeout: the effect succeeded with null, which Optional.empty() would report as a"
                        + " timeout; use timeoutWith for a value that may be null")));
        return new Node.Prim<>(fiber -> Structured.timeout(fiber, nanos, onTimeout, wrapped));
    }

    // ------------------------------------------------------------------------------------------------------
    // retry

    /**
     * Runs {@code effect} up to {@code attempts} times in total while it fails with a typed error; on
     * exhaustion fails with the last error. Defects and cancellation are never retried.
     *
     * {@snippet :
     * Effect<String, String> fetched = Concurrency.retry(3, Effect.fail("flaky")); // fails after 3 runs
     * }
     *
     * @param attempts the total number of runs; at least 1
     * @param effect   the effect
     * @param <E>      the typed error
     * @param <A>      the value type
     * @return the effect
     * @throws IllegalArgumentException if {@code attempts < 1}
     */
    public static <E, A> Effect<E, A> retry(int attempts, Effect<E, A> effect) {
        if (attempts < 1) {
            throw new IllegalArgumentException("Concurrency.retry: attempts must be >= 1, was " + attempts);
        }
        Objects.requireNonNull(effect, "Concurrency.retry: effect must not be null");
        // One implementation for both overloads: the schedule loop, with no delay between runs.
        Schedule<E> immediately = Schedule.<E>immediate().maxAttempts(attempts);
        return new Node.Prim<>(fiber -> Retrying.run(fiber, immediately, effect));
    }

    /**
     * Runs {@code effect}, and runs it again after each typed failure as {@code schedule} says: how long to
     * wait before each retry, how many runs in total, for how long, and which errors are worth retrying (see
     * {@link Schedule}). When the schedule ends the retrying, fails with the last error. Defects and
     * cancellation are never retried; an error the schedule's predicate rejects fails at once.
     *
     * <p>The delays are waited on the runtime's {@link Clock} (a parked virtual thread, never a blocked
     * carrier), so they run on virtual time under a {@link TestClock}. Cancelling the fiber during a delay
     * ends the retry promptly as cancelled, without another attempt.
     *
     * {@snippet :
     * Effect<String, String> call = Effect.fail("503 Service Unavailable");
     * Effect<String, String> retried = Concurrency.retry(
     *         Schedule.exponential(Duration.ofMillis(100)).withJitter().maxAttempts(5)
     *                 .retryIf(e -> e.startsWith("5")),
     *         call); // up to 5 runs, waiting about 100, 200, 400, 800 ms (jittered) in between
     * }
     *
     * @param schedule the retry policy
     * @param effect   the effect
     * @param <E>      the typed error
     * @param <A>      the value type
     * @return the effect
     */
    public static <E, A> Effect<E, A> retry(Schedule<? super E> schedule, Effect<E, A> effect) {
        Objects.requireNonNull(schedule, "Concurrency.retry: schedule must not be null");
        Objects.requireNonNull(effect, "Concurrency.retry: effect must not be null");
        return new Node.Prim<>(fiber -> Retrying.run(fiber, schedule, effect));
    }

    /**
     * Subscribes to a {@link Flow.Publisher} and yields a {@link Receiver} of its values, for consuming
     * reactive streams (Reactor, RxJava, the JDK's {@code SubmissionPublisher}) with {@code recv},
     * {@code forEach} or {@code select}. Backpressure: at most {@code buffer} values are requested ahead of the
     * consumer; each value taken from the receiver requests one more. The publisher's threads are never
     * blocked (its signals are queued, within the requested amount).
     *
     * <p>The subscription belongs to the current scope (like a {@link #spawn spawned} task): when that scope
     * ends, or the fiber is cancelled, the subscription is cancelled and the receiver closed. When the publisher
     * completes, the receiver delivers every value, then reports {@code Err(CLOSED)}. When it signals an error,
     * the receiver closes after the values that came before, and the error fails the scope as a defect (the
     * cause is the publisher's throwable), as a failing child would: fail-fast, the consumer is cancelled and
     * may not get to process the last values it received. Returns at once; nothing blocks until values are
     * received.
     *
     * {@snippet :
     * Effect<String, Integer> sum = Concurrency.scope(s -> {
     *     java.util.concurrent.SubmissionPublisher<Integer> numbers = new java.util.concurrent.SubmissionPublisher<>();
     *     return Concurrency.<String, Integer>fromPublisher(numbers, 16).flatMap(in -> Effect.<String, Unit>sync(() -> {
     *         for (int i = 1; i <= 3; i++) {
     *             numbers.submit(i);
     *         }
     *         numbers.close(); // onComplete
     *         return Unit.UNIT;
     *     }).then(in.fold(0, Integer::sum))); // 6
     * });
     * }
     *
     * @param publisher the publisher to subscribe to, once per run of the effect
     * @param buffer    how many values may be requested ahead of the consumer; at least 1
     * @param <E>       the typed error
     * @param <A>       the value type
     * @return the effect yielding the receiver
     * @throws IllegalArgumentException if {@code buffer < 1}
     * @throws NullPointerException     if {@code publisher} is {@code null}
     */
    public static <E, A> Effect<E, Receiver<A>> fromPublisher(Flow.Publisher<? extends A> publisher, int buffer) {
        Objects.requireNonNull(publisher, "Concurrency.fromPublisher: publisher must not be null");
        if (buffer < 1) {
            throw new IllegalArgumentException("Concurrency.fromPublisher: buffer must be >= 1, was " + buffer);
        }
        return Flows.fromPublisher(publisher, buffer);
    }

    // ------------------------------------------------------------------------------------------------------
    // channels

    /**
     * Makes an unbounded channel: {@code send} never blocks. The {@code sample} only fixes the type, as in
     * the AIVI language ({@code make sample}); it is never sent.
     *
     * {@snippet :
     * Effect<String, Pair<Sender<String>, Receiver<String>>> ch = Concurrency.make("sample");
     * }
     *
     * @param sample a value of the channel's type (not sent; may be {@code null})
     * @param <E>    the typed error
     * @param <A>    the type of values
     * @return the effect yielding {@code (sender, receiver)}
     */
    public static <E, A> Effect<E, Pair<Sender<A>, Receiver<A>>> make(A sample) {
        return make();
    }

    /**
     * Makes an unbounded channel: {@code send} never blocks.
     *
     * @param <E> the typed error
     * @param <A> the type of values
     * @return the effect yielding {@code (sender, receiver)}
     */
    public static <E, A> Effect<E, Pair<Sender<A>, Receiver<A>>> make() {
        return Effect.sync(() -> ChannelHandles.open(Channel.unbounded()));
    }

    /**
     * Makes a bounded channel: {@code capacity > 0} buffers that many values and {@code send} blocks while
     * the buffer is full; {@code capacity == 0} is a rendezvous channel ({@code send} waits for a receiver).
     *
     * {@snippet :
     * Effect<String, Pair<Sender<Integer>, Receiver<Integer>>> jobs = Concurrency.makeBounded(16);
     * }
     *
     * @param capacity the buffer size, {@code >= 0}
     * @param <E>      the typed error
     * @param <A>      the type of values
     * @return the effect yielding {@code (sender, receiver)}
     * @throws IllegalArgumentException if {@code capacity < 0}
     */
    public static <E, A> Effect<E, Pair<Sender<A>, Receiver<A>>> makeBounded(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("Concurrency.makeBounded: capacity must be >= 0, was " + capacity);
        }
        return Effect.sync(() -> ChannelHandles.open(Channel.create(capacity)));
    }

    /**
     * Sends {@code value} to the channel; see {@link Sender#send}. Dies with {@link ChannelClosedException}
     * if the channel is closed.
     *
     * @param sender the sending end
     * @param value  the value; not {@code null}
     * @param <E>    the typed error
     * @param <A>    the type of values
     * @return the effect
     */
    public static <E, A> Effect<E, Unit> send(Sender<A> sender, A value) {
        return Objects.requireNonNull(sender, "Concurrency.send: sender must not be null").send(value);
    }

    /**
     * Sends {@code value} to the channel and reports a closed channel as {@code Err(CLOSED)}; see
     * {@link Sender#sendOrClosed}.
     *
     * @param sender the sending end
     * @param value  the value; not {@code null}
     * @param <E>    the typed error
     * @param <A>    the type of values
     * @return the effect
     */
    public static <E, A> Effect<E, Result<ChannelError, Unit>> sendOrClosed(Sender<A> sender, A value) {
        return Objects.requireNonNull(sender, "Concurrency.sendOrClosed: sender must not be null").sendOrClosed(value);
    }

    /**
     * Receives the next value: {@code Ok(value)}, or {@code Err(CLOSED)} once the channel is closed and
     * drained; see {@link Receiver#recv}.
     *
     * @param receiver the receiving end
     * @param <E>      the typed error
     * @param <A>      the type of values
     * @return the effect
     */
    public static <E, A> Effect<E, Result<ChannelError, A>> recv(Receiver<A> receiver) {
        return Objects.requireNonNull(receiver, "Concurrency.recv: receiver must not be null").recv();
    }

    /**
     * Closes the channel from the sender side; see {@link Sender#close}. Idempotent.
     *
     * @param sender the sending end
     * @param <E>    the typed error
     * @param <A>    the type of values
     * @return the effect
     */
    public static <E, A> Effect<E, Unit> close(Sender<A> sender) {
        return Objects.requireNonNull(sender, "Concurrency.close: sender must not be null").close();
    }

    /**
     * Processes every value of {@code in} with {@code f} on {@code parallelism} fibers at once, until the
     * channel is closed and drained and every value taken has been processed. Each fiber takes the next value
     * as soon as it is free, so values are processed in no particular order across fibers (each fiber handles
     * its own values in the order it received them); use {@link #mapPar} when the results must keep the
     * channel's order.
     *
     * <p>Fails fast like {@link #parAll}: the first failure (or defect) of {@code f} cancels the other fibers,
     * which have terminated when this effect ends; values still in the channel stay there. Cancellable: a
     * cancelled fiber has consumed nothing it did not process or was processing when cancelled.
     *
     * {@snippet :
     * Effect<String, Unit> handleAll(Receiver<String> jobs) {
     *     return Concurrency.forEachPar(jobs, 4, job -> Effect.sync(() -> job.length()));
     * }
     * }
     *
     * @param in          the values
     * @param parallelism the number of fibers; at least 1
     * @param f           the effect to run per value
     * @param <E>         the typed error
     * @param <A>         the type of values
     * @return the effect
     * @throws IllegalArgumentException if {@code parallelism < 1}
     * @throws NullPointerException     if {@code in} or {@code f} is {@code null}
     */
    public static <E, A> Effect<E, Unit> forEachPar(Receiver<A> in, int parallelism,
                                                    Function<? super A, ? extends Effect<E, ?>> f) {
        Objects.requireNonNull(in, "Concurrency.forEachPar: in must not be null");
        Objects.requireNonNull(f, "Concurrency.forEachPar: f must not be null");
        if (parallelism < 1) {
            throw new IllegalArgumentException("Concurrency.forEachPar: parallelism must be >= 1, was " + parallelism);
        }
        List<Effect<E, Unit>> workers = new ArrayList<>(parallelism);
        for (int i = 0; i < parallelism; i++) {
            workers.add(in.forEach(f));
        }
        return parAll(workers).asUnit();
    }

    /**
     * Maps every value of {@code in} with {@code f} on {@code parallelism} fibers at once, until the channel is
     * closed and drained, and yields the results <em>in the order the values left the channel</em> (the
     * mapping itself runs in no particular order). One extra fiber takes the values from {@code in} and
     * numbers them, so the order is the channel's FIFO order whatever the timing.
     *
     * <p>Fails fast like {@link #parAll}. A value that was taken from {@code in} but not yet mapped when
     * another one failed is dropped with the rest of the work (at most one value waits in the hand-off
     * between the numbering fiber and the mapping fibers).
     *
     * {@snippet :
     * Effect<String, List<Integer>> lengths(Receiver<String> words) {
     *     return Concurrency.mapPar(words, 4, w -> Effect.succeed(w.length())); // in the channel's order
     * }
     * }
     *
     * @param in          the values
     * @param parallelism the number of mapping fibers; at least 1
     * @param f           the effect to run per value
     * @param <E>         the typed error
     * @param <A>         the type of values
     * @param <B>         the type of results
     * @return the effect yielding the results (an unmodifiable list; {@code null} results are kept)
     * @throws IllegalArgumentException if {@code parallelism < 1}
     * @throws NullPointerException     if {@code in} or {@code f} is {@code null}
     */
    public static <E, A, B> Effect<E, List<B>> mapPar(Receiver<A> in, int parallelism,
                                                      Function<? super A, ? extends Effect<E, B>> f) {
        Objects.requireNonNull(in, "Concurrency.mapPar: in must not be null");
        Objects.requireNonNull(f, "Concurrency.mapPar: f must not be null");
        if (parallelism < 1) {
            throw new IllegalArgumentException("Concurrency.mapPar: parallelism must be >= 1, was " + parallelism);
        }
        return Effect.suspend(() -> {
            // Results by sequence number; the map is concurrent, the list is built after every fiber ended.
            java.util.concurrent.ConcurrentHashMap<Long, Optional<B>> results =
                    new java.util.concurrent.ConcurrentHashMap<>();
            Pair<Sender<Pair<Long, A>>, Receiver<Pair<Long, A>>> handOff = ChannelHandles.open(Channel.rendezvous());
            Sender<Pair<Long, A>> toWorkers = handOff.first();
            List<Effect<E, Unit>> fibers = new ArrayList<>(parallelism + 1);
            fibers.add(Concurrency.<E, A>number(in, toWorkers, 0L).ensuring(toWorkers.close()));
            for (int i = 0; i < parallelism; i++) {
                fibers.add(handOff.second().forEach(p -> Objects.requireNonNull(f.apply(p.second()),
                        "Concurrency.mapPar: f returned null").map(b -> results.put(p.first(), Optional.ofNullable(b)))));
            }
            return parAll(fibers).map(ignored -> {
                List<B> out = new ArrayList<>(results.size());
                for (long k = 0; k < results.size(); k++) {
                    out.add(results.get(k).orElse(null));
                }
                return java.util.Collections.unmodifiableList(out);
            });
        });
    }

    private static <E, A> Effect<E, Unit> number(Receiver<A> in, Sender<Pair<Long, A>> out, long next) {
        return in.<E>recv().flatMap(r -> switch (r) {
            case Result.Ok<ChannelError, A>(A value) -> out.<E>send(new Pair<>(next, value))
                    .then(number(in, out, next + 1));
            case Result.Err<ChannelError, A> closed -> Effect.unit();
        });
    }

    /**
     * Runs every producer at once and closes {@code out} when all have ended: Go's {@code WaitGroup} pattern
     * ("close the channel when the last producer is done") as one effect. The channel is closed whatever the
     * producers ended with (so consumers never wait forever); a failure fails fast like {@link #parAll}: the
     * other producers are cancelled and have terminated before the channel is closed and this effect fails.
     * Run it next to the consumer, for example with {@link #par}.
     *
     * {@snippet :
     * Effect<String, Integer> sumOfAll(Sender<Integer> out, Receiver<Integer> in) {
     *     List<Effect<String, Unit>> producers = List.of(out.send(1), out.send(2), out.send(3));
     *     return Concurrency.par(Concurrency.closeWhenDone(out, producers), in.fold(0, Integer::sum))
     *             .map(Pair::second); // 6
     * }
     * }
     *
     * @param out       the channel to close
     * @param producers the effects that send to it
     * @param <E>       the typed error
     * @param <A>       the type of values
     * @return the effect
     * @throws NullPointerException if {@code out}, {@code producers} or one of them is {@code null}
     */
    public static <E, A> Effect<E, Unit> closeWhenDone(Sender<A> out, List<? extends Effect<E, ?>> producers) {
        Objects.requireNonNull(out, "Concurrency.closeWhenDone: out must not be null");
        Objects.requireNonNull(producers, "Concurrency.closeWhenDone: producers must not be null");
        List<Effect<E, Unit>> units = new ArrayList<>(producers.size());
        for (int i = 0; i < producers.size(); i++) {
            units.add(Objects.requireNonNull(producers.get(i),
                    "Concurrency.closeWhenDone: producer " + i + " is null").asUnit());
        }
        return parAll(units).asUnit().ensuring(out.close());
    }

    /**
     * Runs {@code effect}, then runs it again after each success as {@code schedule} says, and yields the
     * value of the last run. The schedule's delays and limits apply as for retries: {@code maxAttempts} is the
     * total number of runs, {@code maxElapsed} bounds when a run may start, the delays are waited on the
     * runtime's clock (virtual time under a {@link TestClock}). Its {@code retryIf} predicate and
     * {@code onRetry} hook look at errors and do not apply. The first failure, defect or cancellation ends the
     * repetition with that outcome. A schedule without a limit repeats until the fiber is cancelled.
     *
     * {@snippet :
     * java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
     * Effect<String, Integer> poll = Effect.sync(polls::incrementAndGet);
     * Effect<String, Integer> fivePolls = Concurrency.repeat(
     *         Schedule.fixedDelay(Duration.ofMillis(10)).maxAttempts(5), poll); // 5, after 4 pauses of 10 ms
     * }
     *
     * @param schedule the delays and limits
     * @param effect   the effect
     * @param <E>      the typed error
     * @param <A>      the value type
     * @return the effect
     * @throws NullPointerException if an argument is {@code null}
     */
    public static <E, A> Effect<E, A> repeat(Schedule<?> schedule, Effect<E, A> effect) {
        Objects.requireNonNull(schedule, "Concurrency.repeat: schedule must not be null");
        Objects.requireNonNull(effect, "Concurrency.repeat: effect must not be null");
        return Concurrency.<E>clockNanos().flatMap(start -> repeatLoop(schedule, effect, 1, start));
    }

    private static <E, A> Effect<E, A> repeatLoop(Schedule<?> schedule, Effect<E, A> effect, int run, long start) {
        return effect.flatMap(a -> Concurrency.<E>clockNanos().flatMap(now -> {
            long delay = schedule.nextRunDelayNanos(run, now - start);
            if (delay == Schedule.STOP) {
                return Effect.succeed(a);
            }
            int next = run == Integer.MAX_VALUE ? run : run + 1;
            return Concurrency.<E>sleepNanos(delay).then(repeatLoop(schedule, effect, next, start));
        }));
    }

    /** The runtime clock's time in nanoseconds. */
    private static <E> Effect<E, Long> clockNanos() {
        return new Node.Prim<>(fiber -> Exit.success(fiber.runtime.clock().nanoTime()));
    }

    /**
     * A channel that receives a tick every {@code period}: Go's {@code time.Ticker}. Yields its receiver; the
     * ticks are the numbers 1, 2, 3, … in order. The ticker runs on a fiber of the current scope, on the
     * runtime's clock (virtual time under a {@link TestClock}), and stops when that scope ends (the channel
     * is then closed). Ticks are aimed at {@code start + n * period}, so they do not drift with the
     * consumer's work; the channel buffers one tick, and a tick that finds the buffer full is dropped, so a
     * slow consumer sees fewer ticks (a gap in the numbers), never a burst of stale ones.
     *
     * {@snippet :
     * Effect<String, Long> threeTicks = Concurrency.scope(s -> Effect.gen(d -> {
     *     Receiver<Long> ticks = d.await(Concurrency.ticker(Duration.ofMillis(100)));
     *     long last = 0;
     *     for (int i = 0; i < 3; i++) {
     *         last = d.await(ticks.recv()).orElse(-1L);
     *     }
     *     return last; // 3, after about 300 ms
     * }));
     * }
     *
     * @param period the time between ticks; at least 1 ms
     * @param <E>    the typed error
     * @return the effect yielding the receiving end of the ticks
     * @throws IllegalArgumentException if {@code period} is shorter than 1 ms
     * @throws NullPointerException     if {@code period} is {@code null}
     */
    public static <E> Effect<E, Receiver<Long>> ticker(Duration period) {
        Objects.requireNonNull(period, "Concurrency.ticker: period must not be null");
        if (period.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("Concurrency.ticker: period must be at least 1 ms, was "
                    + DurationText.format(period));
        }
        long periodNanos = Durations.toNanos(period, "Concurrency.ticker: period");
        return Effect.suspend(() -> {
            Pair<Sender<Long>, Receiver<Long>> ch = ChannelHandles.open(Channel.create(1));
            Effect<E, Unit> ticking = Concurrency.<E>clockNanos()
                    .flatMap(start -> tick(ch.first(), start, periodNanos, 1L))
                    .ensuring(ch.first().close());
            return spawn(ticking).as(ch.second());
        });
    }

    private static <E> Effect<E, Unit> tick(Sender<Long> out, long start, long periodNanos, long n) {
        return Concurrency.<E>clockNanos().flatMap(now -> {
            long offset;
            try {
                offset = Math.multiplyExact(periodNanos, n);
            } catch (ArithmeticException beyondAnyRealRun) {
                offset = Long.MAX_VALUE;
            }
            long wait = Durations.deadline(start, offset) - now;
            Effect<E, Unit> pause = sleepNanos(wait);
            return pause.then(Effect.<E, Result<ChannelError, Boolean>>sync(() -> out.trySend(n)))
                    .flatMap(sent -> sent instanceof Result.Err ? Effect.unit() : tick(out, start, periodNanos, n + 1));
        });
    }

    /**
     * Waits until one of the clauses can commit, commits exactly that one (the others consume or deliver
     * nothing) and yields its result. Fairness: among clauses ready at the same moment, one is chosen
     * uniformly at random; while waiting, the first counterpart to arrive wins, and clauses of this select
     * that wait on the same channel are met first in a random order. For a select that prefers earlier
     * clauses, see {@link #selectPriority(Clause[]) selectPriority}. Cancellable while it waits; a cancelled
     * select has committed no clause.
     *
     * {@snippet :
     * Effect<String, String> next(Receiver<String> urgent, Receiver<String> normal) {
     *     return Concurrency.select(
     *             Clause.recv(urgent, r -> "urgent " + r),
     *             Clause.recv(normal, r -> "normal " + r));
     * }
     * }
     *
     * @param clauses the clauses; at least one
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     * @throws IllegalArgumentException if there is no clause
     * @throws NullPointerException     if {@code clauses} or one of them is {@code null}
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> select(Clause<? extends R>... clauses) {
        return selectImpl(clauseList(clauses, "Concurrency.select"), false, "Concurrency.select");
    }

    /**
     * {@link #select(Clause[])} over a list of clauses, for a number of clauses known only at run time.
     *
     * {@snippet :
     * Effect<String, String> first(List<Receiver<String>> inputs) {
     *     List<Clause<String>> clauses = new ArrayList<>();
     *     for (Receiver<String> in : inputs) {
     *         clauses.add(Clause.recv(in, r -> r.toString()));
     *     }
     *     return Concurrency.select(clauses);
     * }
     * }
     *
     * @param clauses the clauses; at least one
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     * @throws IllegalArgumentException if there is no clause
     * @throws NullPointerException     if {@code clauses} or one of them is {@code null}
     */
    public static <E, R> Effect<E, R> select(List<? extends Clause<? extends R>> clauses) {
        return selectImpl(clauseList(clauses, "Concurrency.select"), false, "Concurrency.select");
    }

    /**
     * Like {@link #select(Clause[])}, but when several clauses can commit at once the earliest one in the
     * argument list wins (and clauses of this select waiting on the same channel are met in argument order).
     * Use it when one source matters more (a stop signal before work); under a steady load on the first
     * clause the later ones may starve, which is why the plain {@code select} is random.
     *
     * {@snippet :
     * Effect<String, String> next(Receiver<String> stop, Receiver<String> work) {
     *     return Concurrency.selectPriority(
     *             Clause.recv(stop, r -> "stop"),
     *             Clause.recv(work, r -> "work " + r));
     * }
     * }
     *
     * @param clauses the clauses, most preferred first; at least one
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     * @throws IllegalArgumentException if there is no clause
     * @throws NullPointerException     if {@code clauses} or one of them is {@code null}
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> selectPriority(Clause<? extends R>... clauses) {
        return selectImpl(clauseList(clauses, "Concurrency.selectPriority"), true, "Concurrency.selectPriority");
    }

    /**
     * {@link #selectPriority(Clause[])} over a list of clauses, most preferred first.
     *
     * {@snippet :
     * Effect<String, String> next(List<Clause<String>> byPriority) {
     *     return Concurrency.selectPriority(byPriority);
     * }
     * }
     *
     * @param clauses the clauses; at least one
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     * @throws IllegalArgumentException if there is no clause
     * @throws NullPointerException     if {@code clauses} or one of them is {@code null}
     */
    public static <E, R> Effect<E, R> selectPriority(List<? extends Clause<? extends R>> clauses) {
        return selectImpl(clauseList(clauses, "Concurrency.selectPriority"), true, "Concurrency.selectPriority");
    }

    private static <E, R> Effect<E, R> selectImpl(List<Clause<? extends R>> cs, boolean prioritized, String where) {
        if (cs.isEmpty()) {
            throw new IllegalArgumentException(where + ": needs at least one clause, was none");
        }
        return new Selects.SelectOp<>(cs, prioritized);
    }

    /**
     * Commits a clause that can complete at once, or yields {@code orElse.get()} without waiting (Go's
     * {@code default}).
     *
     * {@snippet :
     * Effect<String, String> poll(Receiver<String> in) {
     *     return Concurrency.selectOrDefault(() -> "nothing yet", Clause.recv(in, r -> r.toString()));
     * }
     * }
     *
     * @param orElse  the result when no clause is ready
     * @param clauses the clauses
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     * @throws NullPointerException if an argument or a clause is {@code null}
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> selectOrDefault(java.util.function.Supplier<? extends R> orElse,
                                                      Clause<? extends R>... clauses) {
        return selectOrDefault(orElse, clauseList(clauses, "Concurrency.selectOrDefault"));
    }

    /**
     * {@link #selectOrDefault(java.util.function.Supplier, Clause[])} over a list of clauses.
     *
     * {@snippet :
     * Effect<String, String> poll(List<Clause<String>> clauses) {
     *     return Concurrency.selectOrDefault(() -> "nothing yet", clauses);
     * }
     * }
     *
     * @param orElse  the result when no clause is ready
     * @param clauses the clauses (may be empty: then the result is {@code orElse.get()})
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     * @throws NullPointerException if an argument or a clause is {@code null}
     */
    public static <E, R> Effect<E, R> selectOrDefault(java.util.function.Supplier<? extends R> orElse,
                                                      List<? extends Clause<? extends R>> clauses) {
        Objects.requireNonNull(orElse, "Concurrency.selectOrDefault: orElse must not be null");
        List<Clause<? extends R>> cs = clauseList(clauses, "Concurrency.selectOrDefault");
        aivi.concurrency.internal.channel.Select.Plan plan =
                aivi.concurrency.internal.channel.Select.plan(Selects.engine(cs), false);
        return Effect.sync(() -> Selects.outcome(cs, aivi.concurrency.internal.channel.Select.selectOrDefault(plan),
                orElse));
    }

    /**
     * Like {@link #select}, but gives up after {@code millis} of the runtime's clock and yields
     * {@code onTimeout.get()}; no clause has committed then.
     *
     * {@snippet :
     * Effect<String, String> next(Receiver<String> in) {
     *     return Concurrency.selectWithin(500, () -> "timed out", Clause.recv(in, r -> r.toString()));
     * }
     * }
     *
     * @param millis    the timeout in milliseconds
     * @param onTimeout the result on timeout
     * @param clauses   the clauses (may be none: then it just waits)
     * @param <E>       the typed error
     * @param <R>       the result type
     * @return the effect
     * @throws NullPointerException if an argument or a clause is {@code null}
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> selectWithin(long millis, java.util.function.Supplier<? extends R> onTimeout,
                                                   Clause<? extends R>... clauses) {
        return selectWithinImpl(Durations.millisToNanos(millis), onTimeout,
                clauseList(clauses, "Concurrency.selectWithin"));
    }

    /**
     * {@link #selectWithin(long, java.util.function.Supplier, Clause[])} with the timeout as a
     * {@link Duration}.
     *
     * {@snippet :
     * Effect<String, String> next(Receiver<String> in) {
     *     return Concurrency.selectWithin(Duration.ofSeconds(2), () -> "timed out", Clause.recv(in, r -> r.toString()));
     * }
     * }
     *
     * @param timeout   the timeout on the runtime's clock; zero or negative takes only a clause ready at once
     * @param onTimeout the result on timeout
     * @param clauses   the clauses (may be none: then it just waits)
     * @param <E>       the typed error
     * @param <R>       the result type
     * @return the effect
     * @throws NullPointerException if an argument or a clause is {@code null}
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> selectWithin(Duration timeout, java.util.function.Supplier<? extends R> onTimeout,
                                                   Clause<? extends R>... clauses) {
        return selectWithin(timeout, onTimeout, clauseList(clauses, "Concurrency.selectWithin"));
    }

    /**
     * {@link #selectWithin(Duration, java.util.function.Supplier, Clause[])} over a list of clauses.
     *
     * {@snippet :
     * Effect<String, String> next(List<Clause<String>> clauses) {
     *     return Concurrency.selectWithin(Duration.ofSeconds(2), () -> "timed out", clauses);
     * }
     * }
     *
     * @param timeout   the timeout on the runtime's clock; zero or negative takes only a clause ready at once
     * @param onTimeout the result on timeout
     * @param clauses   the clauses (may be empty: then it just waits)
     * @param <E>       the typed error
     * @param <R>       the result type
     * @return the effect
     * @throws NullPointerException if an argument or a clause is {@code null}
     */
    public static <E, R> Effect<E, R> selectWithin(Duration timeout, java.util.function.Supplier<? extends R> onTimeout,
                                                   List<? extends Clause<? extends R>> clauses) {
        return selectWithinImpl(Durations.toNanos(timeout, "Concurrency.selectWithin: timeout"), onTimeout,
                clauseList(clauses, "Concurrency.selectWithin"));
    }

    private static <E, R> Effect<E, R> selectWithinImpl(long nanos, java.util.function.Supplier<? extends R> onTimeout,
                                                        List<Clause<? extends R>> cs) {
        Objects.requireNonNull(onTimeout, "Concurrency.selectWithin: onTimeout must not be null");
        aivi.concurrency.internal.channel.Select.Plan plan =
                aivi.concurrency.internal.channel.Select.plan(Selects.engine(cs), false);
        return new Node.Prim<>(fiber -> fiber.blockFor(FiberDump.Activity.SELECT, cs,
                () -> Selects.outcome(cs, aivi.concurrency.internal.channel.Select.selectWithin(plan,
                        nanos, fiber.runtime.clock()), onTimeout)));
    }

    private static <R> List<Clause<? extends R>> clauseList(List<? extends Clause<? extends R>> clauses, String where) {
        Objects.requireNonNull(clauses, where + ": clauses must not be null");
        List<Clause<? extends R>> copy = new ArrayList<>(clauses.size());
        for (int i = 0; i < clauses.size(); i++) {
            copy.add(Objects.requireNonNull(clauses.get(i), where + ": clause " + i + " is null"));
        }
        return List.copyOf(copy);
    }

    private static <R> List<Clause<? extends R>> clauseList(Clause<? extends R>[] clauses, String where) {
        Objects.requireNonNull(clauses, where + ": clauses must not be null");
        for (int i = 0; i < clauses.length; i++) {
            Objects.requireNonNull(clauses[i], where + ": clause " + i + " is null");
        }
        return List.of(clauses);
    }
}
