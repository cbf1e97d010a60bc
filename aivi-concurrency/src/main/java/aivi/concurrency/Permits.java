package aivi.concurrency;

import com.google.errorprone.annotations.CheckReturnValue;

import java.util.Objects;
import java.util.concurrent.Semaphore;

/**
 * A counting semaphore for effects: at most {@code n} effects hold a permit at a time. Use it to bound the
 * concurrency of a resource (connections to one host, calls to a rate-limited API) across fibers that are
 * otherwise independent; {@link Concurrency#parAll(int, java.util.List)} bounds one batch.
 *
 * <p>Permits are handed out first come, first served (a fair {@link Semaphore}). {@link #withPermit} waits
 * for a permit (a parked virtual thread), runs the effect, and gives the permit back whatever the effect
 * ended with: success, failure, defect or cancellation. A fiber cancelled while it waits takes no permit.
 * Thread-safe; one {@code Permits} may be shared by any number of fibers and runtimes. The wait is a
 * library wait: in a {@link FiberDump} it shows as {@code recv} on the {@code Permits} (receiving a permit),
 * and a {@code TestRuntime} moves virtual time past it like any channel wait.
 *
 * {@snippet :
 * Permits connections = Permits.of(2);
 * Effect<String, List<Integer>> calls = Concurrency.parAll(List.of(
 *         connections.withPermit(Effect.succeed(1)),
 *         connections.withPermit(Effect.succeed(2)),
 *         connections.withPermit(Effect.succeed(3)))); // at most 2 run at once
 * }
 *
 * <p>For a rate limit (at most {@code n} calls per period), combine permits with a
 * {@link Concurrency#ticker ticker}, or hold each permit for the period:
 * {@code permits.withPermit(call.zipLeft(Concurrency.sleep(period)))}.
 */
@CheckReturnValue
public final class Permits {
    private final int total;
    private final Semaphore semaphore;

    private Permits(int total) {
        this.total = total;
        this.semaphore = new Semaphore(total, true);
    }

    /**
     * Creates a semaphore with {@code permits} permits, all available.
     *
     * @param permits the number of permits; at least 1
     * @return the semaphore
     * @throws IllegalArgumentException if {@code permits < 1}
     */
    public static Permits of(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("Permits.of: permits must be >= 1, was " + permits);
        }
        return new Permits(permits);
    }

    /**
     * Runs {@code effect} holding one permit; see {@link #withPermits}.
     *
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the effect
     * @throws NullPointerException if {@code effect} is {@code null}
     */
    public <E, A> Effect<E, A> withPermit(Effect<E, A> effect) {
        return withPermits(1, effect);
    }

    /**
     * Waits until {@code n} permits are available, takes them, runs {@code effect}, and gives them back
     * whatever it ended with. The wait blocks the fiber (a parked virtual thread) and is cancellable: a
     * fiber cancelled while it waits ends cancelled and took no permit. The release runs uncancellably,
     * exactly once.
     *
     * {@snippet :
     * Permits budget = Permits.of(10);
     * Effect<String, String> bigJob = budget.withPermits(4, Effect.succeed("done"));
     * }
     *
     * @param n      the number of permits; between 1 and the total
     * @param effect the effect
     * @param <E>    the typed error
     * @param <A>    the value type
     * @return the effect
     * @throws IllegalArgumentException if {@code n < 1} or {@code n} is more than the total number of permits
     *                                  (it could never be satisfied)
     * @throws NullPointerException     if {@code effect} is {@code null}
     */
    public <E, A> Effect<E, A> withPermits(int n, Effect<E, A> effect) {
        if (n < 1 || n > total) {
            throw new IllegalArgumentException("Permits.withPermits: n must be between 1 and " + total + ", was " + n);
        }
        Objects.requireNonNull(effect, "Permits.withPermits: effect must not be null");
        return Effect.suspend(() -> {
            // Written and read only on the fiber running this effect: the acquire and the finalizer.
            boolean[] held = new boolean[1];
            // A library wait (dumps, TestRuntime): it shows as "recv" on this Permits, receiving a permit.
            Effect<E, Unit> acquire = new Node.Prim<>(fiber -> fiber.blockFor(FiberDump.Activity.RECV, this, () -> {
                semaphore.acquire(n); // takes all n or, when interrupted, none
                held[0] = true;
                return Unit.UNIT;
            }));
            // The finalizer covers the acquire too, so no step boundary lies between taking the permits and
            // the obligation to give them back: a cancel that lands right after the acquire still releases.
            return acquire.then(effect).ensuring(Effect.sync(() -> {
                if (held[0]) {
                    held[0] = false;
                    semaphore.release(n);
                }
                return Unit.UNIT;
            }));
        });
    }

    /**
     * The number of permits available right now (a snapshot, for monitoring and tests).
     *
     * @return the available permits
     */
    public int available() {
        return semaphore.availablePermits();
    }

    /**
     * The total number of permits this semaphore was created with.
     *
     * @return the total
     */
    public int total() {
        return total;
    }

    @Override
    public String toString() {
        return "Permits[" + available() + " of " + total + " available]";
    }
}
