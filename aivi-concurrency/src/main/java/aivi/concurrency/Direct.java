package aivi.concurrency;

import java.io.Serial;

/**
 * The handle of direct-style code inside {@link Effect#gen Effect.gen}: {@link #await} runs a sub-effect on
 * the current fiber and returns its value, so effects read like ordinary Java.
 *
 * <p>A typed failure of an awaited effect ends the whole {@code gen} block with the same error: it unwinds
 * the block's Java code as an internal unchecked exception. A defect rethrows the original exception. A
 * cancellation unwinds the block the same way as a typed failure, and the block ends cancelled.
 * {@code await} accepts only effects whose error type fits the block's {@code E}, so the block stays
 * type-safe.
 *
 * <p><b>A failure cannot be swallowed.</b> Once a typed failure or a cancellation has left an
 * {@code await} (or {@link #fail} was called), the block's outcome is decided: if the block's code catches
 * the internal exception (say with {@code catch (RuntimeException e)}) and goes on, it may still run
 * cleanup, {@code finally} blocks and further {@code await}s, but when it ends, it ends with that first
 * failure or cancellation, not with the value it returns. If it ends by throwing some other exception,
 * that is a defect (never lost) and carries the swallowed failure as a suppressed exception. To recover
 * from a failure inside a block, recover inside the awaited effect instead:
 * {@code d.await(effect.catchAll(...))} or {@code d.await(effect.exit())}.
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
    /** The first typed failure or cancellation that escaped an await or was made by fail; decides the block. */
    private Escape escaped;

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
     * @throws NullPointerException  if {@code effect} is {@code null}
     */
    @SuppressWarnings("unchecked")
    public <A> A await(Effect<? extends E, ? extends A> effect) {
        if (effect == null) {
            throw new NullPointerException("Direct.await: effect must not be null");
        }
        if (finished || Thread.currentThread() != thread) {
            throw new IllegalStateException("Direct.await: called outside the fiber of its Effect.gen block, "
                    + "or after the block ended");
        }
        if (effect.tag == Node.SUCCEED) {
            // Fast path: exactly what RunLoop.run does with a lone value (check for cancellation, then yield
            // the value), without allocating its frame stack and an Exit.
            if (fiber.cancelSignal && fiber.effectivelyCancelled()) {
                throw escape(RunLoop.cancelled());
            }
            return ((Node.Succeed<? extends E, ? extends A>) effect).value;
        }
        Exit<Object, Object> exit;
        if (effect.tag == Node.OP) {
            // Fast path: a lone primitive step (a channel operation) runs here directly, as RunLoop.run
            // would run it (cancellation check, then the step), without a nested loop and an Exit.
            if (fiber.cancelSignal && fiber.effectivelyCancelled()) {
                throw escape(RunLoop.cancelled());
            }
            try {
                return (A) ((Node.Op<? extends E, ? extends A>) effect).step(fiber);
            } catch (Node.Halt h) {
                exit = (Exit<Object, Object>) h.exit;
            } catch (Throwable t) {
                exit = RunLoop.classify(fiber, t);
            }
        } else {
            exit = RunLoop.run(fiber, effect);
        }
        return switch (exit) {
            case Exit.Success<Object, Object> s -> (A) s.value();
            case Exit.Failure<Object, Object> f -> throw escape(exit);
            case Exit.Defect<Object, Object> d -> throw Direct.<RuntimeException>sneaky(d.cause());
            case Exit.Cancelled<Object, Object> c -> throw escape(exit);
        };
    }

    /**
     * Returns an exception that, thrown from the block, ends it with the typed failure {@code error}:
     * {@code throw d.fail("not found");}. Calling it decides the block's outcome (unless an earlier failure
     * or cancellation already did): a block that catches the exception and returns normally still fails.
     *
     * @param error the typed error
     * @return the exception to throw
     * @throws NullPointerException if {@code error} is {@code null}
     */
    public RuntimeException fail(E error) {
        if (error == null) {
            throw new NullPointerException("Direct.fail: error must not be null");
        }
        return escape(Exit.failure(error));
    }

    /** Makes the control exception for {@code exit}, remembering the first one: it decides the block. */
    private Escape escape(Exit<?, ?> exit) {
        Escape e = new Escape(this, exit);
        if (escaped == null) {
            escaped = e;
        }
        return e;
    }

    /** Runs a gen block on {@code fiber}; called by the run loop. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Exit<Object, Object> runBody(Fiber fiber, Effect.Body body) {
        Direct d = new Direct(fiber);
        int nesting = fiber.loopNesting;
        // The body is user code of any depth: a spawn it awaits must probe the stack (see Fiber.loopNesting).
        fiber.loopNesting = Fiber.DEEP_STACK;
        try {
            Object value = body.run(d);
            if (d.escaped != null) {
                return (Exit<Object, Object>) d.escaped.exit; // the block swallowed it and went on
            }
            return new Exit.Success<>(value);
        } catch (Escape e) {
            if (e.owner == d) {
                // The first escape decides, even if the block swallowed it and a later one reached here.
                return (Exit<Object, Object>) d.escaped.exit;
            }
            return withSwallowed(d, RunLoop.classify(fiber, e)); // another block's escape leaking: a bug
        } catch (Throwable t) {
            return withSwallowed(d, RunLoop.classify(fiber, t));
        } finally {
            fiber.loopNesting = nesting;
            d.finished = true;
        }
    }

    /** A defect that ended a block which had swallowed a failure keeps that failure as suppressed. */
    private static Exit<Object, Object> withSwallowed(Direct<?> d, Exit<Object, Object> exit) {
        if (d.escaped != null && exit instanceof Exit.Defect<Object, Object> defect
                && defect.cause() != d.escaped) {
            defect.cause().addSuppressed(d.escaped);
        }
        if (d.escaped != null && !(exit instanceof Exit.Defect)) {
            return (Exit<Object, Object>) d.escaped.exit;
        }
        return exit;
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
