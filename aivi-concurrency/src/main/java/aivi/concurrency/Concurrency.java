package aivi.concurrency;

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
 * The functions of the {@code aivi.concurrency} domain, with the seed's names: {@link #par par},
 * {@link #race race}, {@link #scope scope}, {@link #spawn spawn}, {@link #timeoutWith timeoutWith},
 * {@link #retry retry}, {@link #sleep sleep}, and the channel functions.
 *
 * <p>Every function returns an {@link Effect}; nothing runs until the effect is run. Fibers are virtual
 * threads, and every fiber started here belongs to a scope: when a combinator returns, the fibers it started
 * have terminated.
 *
 * {@snippet :
 * Effect<String, String> slow = Concurrency.<String>sleep(200).as("left");
 * Effect<String, String> fast = Concurrency.<String>sleep(10).as("right");
 * String winner = Concurrency.race(slow, fast).runOrThrow(); // "right"
 * }
 */
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
        return new Node.Prim<>(fiber -> Exit.success(fiber.innermostScope().start(fiber, effect)));
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
            boolean outermost = fiber.enterWait(FiberDump.Activity.SLEEP, what);
            try {
                for (;;) {
                    if (fiber.effectivelyCancelled()) {
                        return RunLoop.cancelled();
                    }
                    if (clock.nanoTime() - deadline >= 0) {
                        return Exit.success(Unit.UNIT);
                    }
                    clock.parkUntil(SLEEP, deadline);
                    Thread.interrupted(); // a wake-up only: the levels say whether we are cancelled
                }
            } finally {
                fiber.exitWait(outermost);
            }
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
        return retryLoop(effect, 1, attempts);
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

    private static <E, A> Effect<E, A> retryLoop(Effect<E, A> effect, int attempt, int attempts) {
        if (attempt >= attempts) {
            return effect;
        }
        return effect.catchAll(e -> {
            JfrEvents.retryAttempt(attempt, e, 0);
            return retryLoop(effect, attempt + 1, attempts);
        });
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
     * the seed ({@code make sample}); it is never sent.
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
     * Waits until one of the clauses can commit, commits exactly that one (the others consume or deliver
     * nothing) and yields its result. Fairness: among clauses ready at the same moment, one is chosen
     * uniformly at random; while waiting, the first counterpart to arrive wins, and clauses of this select
     * that wait on the same channel are met first in a random order. Cancellable while it waits;
     * a cancelled select has committed no clause.
     *
     * @param clauses the clauses; at least one
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     * @throws IllegalArgumentException if there is no clause
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> select(Clause<? extends R>... clauses) {
        List<Clause<? extends R>> cs = clauseList(clauses, "Concurrency.select");
        if (cs.isEmpty()) {
            throw new IllegalArgumentException("Concurrency.select: needs at least one clause, was none");
        }
        return new Node.Prim<>(fiber -> fiber.blockFor(FiberDump.Activity.SELECT, cs,
                () -> Selects.outcome(cs, aivi.concurrency.internal.channel.Select.select(Selects.engine(cs)),
                        null)));
    }

    /**
     * Commits a clause that can complete at once, or yields {@code orElse.get()} without waiting (Go's
     * {@code default}).
     *
     * @param orElse  the result when no clause is ready
     * @param clauses the clauses
     * @param <E>     the typed error
     * @param <R>     the result type
     * @return the effect
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> selectOrDefault(java.util.function.Supplier<? extends R> orElse,
                                                      Clause<? extends R>... clauses) {
        Objects.requireNonNull(orElse, "Concurrency.selectOrDefault: orElse must not be null");
        List<Clause<? extends R>> cs = clauseList(clauses, "Concurrency.selectOrDefault");
        return Effect.sync(() -> Selects.outcome(cs,
                aivi.concurrency.internal.channel.Select.selectOrDefault(Selects.engine(cs)), orElse));
    }

    /**
     * Like {@link #select}, but gives up after {@code millis} of the runtime's clock and yields
     * {@code onTimeout.get()}; no clause has committed then.
     *
     * @param millis    the timeout in milliseconds
     * @param onTimeout the result on timeout
     * @param clauses   the clauses (may be none: then it just waits)
     * @param <E>       the typed error
     * @param <R>       the result type
     * @return the effect
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied into an immutable list
    public static <E, R> Effect<E, R> selectWithin(long millis, java.util.function.Supplier<? extends R> onTimeout,
                                                   Clause<? extends R>... clauses) {
        Objects.requireNonNull(onTimeout, "Concurrency.selectWithin: onTimeout must not be null");
        List<Clause<? extends R>> cs = clauseList(clauses, "Concurrency.selectWithin");
        return new Node.Prim<>(fiber -> fiber.blockFor(FiberDump.Activity.SELECT, cs,
                () -> Selects.outcome(cs, aivi.concurrency.internal.channel.Select.selectWithin(Selects.engine(cs),
                        Durations.millisToNanos(millis), fiber.runtime.clock()), onTimeout)));
    }

    private static <R> List<Clause<? extends R>> clauseList(Clause<? extends R>[] clauses, String where) {
        Objects.requireNonNull(clauses, where + ": clauses must not be null");
        for (int i = 0; i < clauses.length; i++) {
            Objects.requireNonNull(clauses[i], where + ": clause " + i + " is null");
        }
        return List.of(clauses);
    }
}
