package aivi.concurrency;

import java.io.Serial;

/**
 * The handle of direct-style code inside {@link Effect#gen Effect.gen}: {@link #await} runs a sub-effect on
 * the current fiber and returns its value, so effects read like ordinary Java.
 *
 * <p>A typed failure of an awaited effect ends the whole {@code gen} block with the same error (it unwinds
 * the block's Java code as an internal exception: do not catch {@code RuntimeException} around
 * {@code await} without rethrowing). A defect rethrows the original exception. A cancellation unwinds the
 * block the same way as a typed failure, and the block ends cancelled. {@code await} accepts only effects
 * whose error type fits the block's {@code E}, so the block stays type-safe.
 *
 * {@snippet :
 * Effect<String, Integer> total = Effect.gen(d -> {
 *     int a = d.await(Effect.succeed(20));
 *     int b = d.await(Effect.succeed(22));
 *     if (a + b > 100) {
 *         throw d.fail("too big");
 *     }
 *     return a + b;
 * });
 * }
 *
 * <p>A {@code Direct} handle is valid only on the fiber running its block and only while the block runs.
 *
 * @param <E> the typed error of the block
 */
public final class Direct<E> {
    private final Fiber fiber;
    private final Thread thread;
    private boolean finished;

    private Direct(Fiber fiber) {
        this.fiber = fiber;
        this.thread = Thread.currentThread();
    }

    /**
     * Runs {@code effect} on the current fiber and returns its value.
     *
     * <p>Blocks the fiber (a virtual thread) for as long as the effect runs. If the fiber is cancelled, the
     * effect is cancelled and this method unwinds the block, which then ends cancelled.
     *
     * @param effect the effect to run
     * @param <A>    the value type
     * @return the value the effect succeeded with
     * @throws IllegalStateException if called outside the block's fiber or after the block ended
     */
    @SuppressWarnings("unchecked")
    public <A> A await(Effect<? extends E, ? extends A> effect) {
        if (finished || Thread.currentThread() != thread) {
            throw new IllegalStateException("Direct.await: called outside the fiber of its Effect.gen block, "
                    + "or after the block ended");
        }
        if (effect.tag == Node.SUCCEED) {
            // Fast path: exactly what RunLoop.run does with a lone value (check for cancellation, then yield
            // the value), without allocating its frame stack and an Exit.
            if (fiber.cancelSignal && fiber.effectivelyCancelled()) {
                throw new Escape(this, RunLoop.cancelled());
            }
            return ((Node.Succeed<? extends E, ? extends A>) effect).value;
        }
        Exit<Object, Object> exit = RunLoop.run(fiber, effect);
        return switch (exit) {
            case Exit.Success<Object, Object> s -> (A) s.value();
            case Exit.Failure<Object, Object> f -> throw new Escape(this, exit);
            case Exit.Defect<Object, Object> d -> throw Direct.<RuntimeException>sneaky(d.cause());
            case Exit.Cancelled<Object, Object> c -> throw new Escape(this, exit);
        };
    }

    /**
     * Returns an exception that, thrown from the block, ends it with the typed failure {@code error}:
     * {@code throw d.fail("not found");}.
     *
     * @param error the typed error
     * @return the exception to throw
     * @throws NullPointerException if {@code error} is {@code null}
     */
    public RuntimeException fail(E error) {
        if (error == null) {
            throw new NullPointerException("Direct.fail: error must not be null");
        }
        return new Escape(this, Exit.failure(error));
    }

    /** Runs a gen block on {@code fiber}; called by the run loop. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Exit<Object, Object> runBody(Fiber fiber, Effect.Body body) {
        Direct d = new Direct(fiber);
        try {
            Object value = body.run(d);
            return new Exit.Success<>(value);
        } catch (Escape e) {
            if (e.owner == d) {
                return (Exit<Object, Object>) e.exit;
            }
            return RunLoop.classify(fiber, e); // an escape of another block leaking through: a bug
        } catch (Throwable t) {
            return RunLoop.classify(fiber, t);
        } finally {
            d.finished = true;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /** The stackless control exception that carries a typed failure or a cancellation out of a block. */
    private static final class Escape extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;
        final transient Direct<?> owner;
        final transient Exit<?, ?> exit;

        Escape(Direct<?> owner, Exit<?, ?> exit) {
            super(exit instanceof Exit.Failure<?, ?> f ? "Effect.gen: failed with " + f.error()
                    : "Effect.gen: cancelled", null, false, false);
            this.owner = owner;
            this.exit = exit;
        }
    }
}
