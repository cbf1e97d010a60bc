package aivi.concurrency;

import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The instruction set of the interpreter: every {@link Effect} is one of these nodes. An effect is an
 * immutable tree of nodes; {@link RunLoop} walks it. Each node carries an int {@link Effect#tag} so the run
 * loop dispatches with one {@code switch} instead of a chain of {@code instanceof} checks.
 *
 * <p>Nodes double as continuation frames: {@code FlatMap}, {@code MapChain}, {@code Fold}, {@code Ensuring},
 * {@code CaptureExit} and the internal {@code PopMask} are pushed on the run loop's explicit stack while
 * their inner effect runs; a {@code Map} pushes its bare function.
 */
final class Node {
    private Node() {
    }

    static final int SUCCEED = 0;
    static final int FAIL = 1;
    static final int SYNC = 2;
    static final int ATTEMPT = 3;
    static final int SUSPEND = 4;
    static final int FLAT_MAP = 5;
    static final int MAP = 6;
    static final int FOLD = 7;
    static final int ENSURING = 8;
    static final int CAPTURE_EXIT = 9;
    static final int MASK = 10;
    static final int POP_MASK = 11;
    static final int PRIM = 12;
    static final int DONE = 13;
    static final int GEN = 14;
    static final int OP = 15;
    static final int BIND = 16;
    static final int MAP_VALUE = 17;
    static final int MAP_CHAIN = 18;
    static final int OP_THEN = 19;

    static final class Succeed<E, A> extends Effect<E, A> {
        final A value;

        Succeed(A value) {
            super(SUCCEED);
            this.value = value;
        }
    }

    static final class Fail<E, A> extends Effect<E, A> {
        final E error;

        Fail(E error) {
            super(FAIL);
            this.error = error;
        }
    }

    /** Runs an exit computed earlier: used to resume a saved outcome (e.g. after a finalizer). */
    static final class Done<E, A> extends Effect<E, A> {
        final Exit<E, A> exit;

        Done(Exit<E, A> exit) {
            super(DONE);
            this.exit = exit;
        }
    }

    static final class Sync<E, A> extends Effect<E, A> {
        final Supplier<? extends A> thunk;

        Sync(Supplier<? extends A> thunk) {
            super(SYNC);
            this.thunk = thunk;
        }
    }

    static final class Attempt<E, A> extends Effect<E, A> {
        final Callable<? extends A> thunk;
        final Function<? super Exception, ? extends E> onException;

        Attempt(Callable<? extends A> thunk, Function<? super Exception, ? extends E> onException) {
            super(ATTEMPT);
            this.thunk = thunk;
            this.onException = onException;
        }
    }

    static final class Suspend<E, A> extends Effect<E, A> {
        final Supplier<? extends Effect<E, A>> thunk;

        Suspend(Supplier<? extends Effect<E, A>> thunk) {
            super(SUSPEND);
            this.thunk = thunk;
        }
    }

    static final class FlatMap<E, X, A> extends Effect<E, A> {
        final Effect<E, X> inner;
        final Function<? super X, ? extends Effect<E, A>> f;

        FlatMap(Effect<E, X> inner, Function<? super X, ? extends Effect<E, A>> f) {
            super(FLAT_MAP);
            this.inner = inner;
            this.f = f;
        }
    }

    /**
     * {@code succeed(value).flatMap(f)}, fused at construction into one node: every step of a loop written
     * {@code succeed(x).flatMap(...)} allocates one node instead of two. Runs exactly like the pair: applies
     * {@code f} to {@code value} when evaluated (again on every run).
     */
    static final class Bind<E, X, A> extends Effect<E, A> {
        final X value;
        final Function<? super X, ? extends Effect<E, A>> f;

        Bind(X value, Function<? super X, ? extends Effect<E, A>> f) {
            super(BIND);
            this.value = value;
            this.f = f;
        }
    }

    /** {@code succeed(value).map(f)}, fused like {@link Bind}: applies {@code f} when evaluated. */
    static final class MapValue<E, X, A> extends Effect<E, A> {
        final X value;
        final Function<? super X, ? extends A> f;

        MapValue(X value, Function<? super X, ? extends A> f) {
            super(MAP_VALUE);
            this.value = value;
            this.f = f;
        }
    }

    /**
     * A run of {@code map} steps fused at construction: {@code inner}, then {@code fns[0..n)} of {@code segment}
     * applied in order. Built by {@link Effect#map} on a {@link Map} or a chain, so a deep chain of maps is a
     * few nodes with arrays of functions instead of one node per step.
     */
    static final class MapChain<E, A> extends Effect<E, A> {
        // Implementation overview (not public documentation).
        //
        // A segment holds up to SEGMENT functions; a chain node is a view of its first n. Mapping a chain node c
        // appends in place when the segment's slot c.n is still free and the mapping thread is the one that
        // built the segment (Segment.builder, a thread id; Segment.used is written by that thread only): it
        // writes fns[c.n], bumps used and returns a new view of n + 1. Any other case copies fns[0..c.n) into a
        // fresh segment first: a second map of the same node (a branch: its slot is taken), another thread
        // (which could race the builder for the slot), or a full segment (then the new node's inner is c and its
        // segment starts empty). So no two views ever disagree on a slot they both cover, and a copy costs at
        // most SEGMENT slots.
        //
        // Publication: every slot a view covers was written before that view's constructor ended, and the view
        // reaches the array through final fields, so any thread that sees the view sees those slots (final field
        // semantics), however the effect was handed over. Slots past n may change later; no view reads them.
        static final int SEGMENT = 64;

        static final class Segment {
            @SuppressWarnings("rawtypes")
            final Function[] fns = new Function[SEGMENT];
            final long builder = Thread.currentThread().threadId();
            /** Slots written; read and written by the builder thread only. */
            int used;
        }

        final Effect<E, ?> inner;
        final Segment segment;
        final int n;

        private MapChain(Effect<E, ?> inner, Segment segment, int n) {
            super(MAP_CHAIN);
            this.inner = inner;
            this.segment = segment;
            this.n = n;
        }

        /** {@code e.map(f)} for {@code e} a {@link Map} or a {@code MapChain}. */
        @SuppressWarnings({"unchecked", "rawtypes"})
        static <E, B> Effect<E, B> append(Effect<E, ?> e, Function f) {
            if (e instanceof Map m) {
                Segment seg = new Segment();
                seg.fns[0] = m.f;
                seg.fns[1] = f;
                seg.used = 2;
                return new MapChain<>(m.inner, seg, 2);
            }
            MapChain<E, ?> c = (MapChain<E, ?>) e;
            int n = c.n;
            if (n == SEGMENT) {
                Segment seg = new Segment();
                seg.fns[0] = f;
                seg.used = 1;
                return new MapChain<>(c, seg, 1);
            }
            Segment seg = c.segment;
            if (seg.builder != Thread.currentThread().threadId() || seg.used != n) {
                Segment copy = new Segment();
                System.arraycopy(seg.fns, 0, copy.fns, 0, n);
                seg = copy;
            }
            seg.fns[n] = f;
            seg.used = n + 1;
            return new MapChain<>(c.inner, seg, n + 1);
        }
    }

    static final class Map<E, X, A> extends Effect<E, A> {
        final Effect<E, X> inner;
        final Function<? super X, ? extends A> f;

        Map(Effect<E, X> inner, Function<? super X, ? extends A> f) {
            super(MAP);
            this.inner = inner;
            this.f = f;
        }
    }

    /**
     * The general handler: {@code onSuccess} for a value, {@code onFailure} for a typed error and
     * {@code onDefect} for a defect; a {@code null} handler passes that outcome through. Cancellation is
     * never handled here (see {@link CaptureExit}).
     */
    static final class Fold<E, E2, X, A> extends Effect<E2, A> {
        final Effect<E, X> inner;
        final Function<? super X, ? extends Effect<E2, A>> onSuccess;
        final Function<? super E, ? extends Effect<E2, A>> onFailure;
        final Function<? super Throwable, ? extends Effect<E2, A>> onDefect;

        Fold(Effect<E, X> inner,
             Function<? super X, ? extends Effect<E2, A>> onSuccess,
             Function<? super E, ? extends Effect<E2, A>> onFailure,
             Function<? super Throwable, ? extends Effect<E2, A>> onDefect) {
            super(FOLD);
            this.inner = inner;
            this.onSuccess = onSuccess;
            this.onFailure = onFailure;
            this.onDefect = onDefect;
        }
    }

    /**
     * Runs {@code inner}, then the finalizer chosen by {@code finalizer.apply(exit)} (or none when it
     * returns {@code null}), uncancellably, whatever the outcome; then resumes the inner outcome.
     */
    static final class Ensuring<E, A> extends Effect<E, A> {
        final Effect<E, A> inner;
        final Function<? super Exit<E, A>, ? extends Effect<?, ?>> finalizer;

        Ensuring(Effect<E, A> inner, Function<? super Exit<E, A>, ? extends Effect<?, ?>> finalizer) {
            super(ENSURING);
            this.inner = inner;
            this.finalizer = finalizer;
        }
    }

    /** {@link Effect#exit()}: the inner outcome as a value. */
    static final class CaptureExit<E, E2, A> extends Effect<E2, Exit<E, A>> {
        final Effect<E, A> inner;

        CaptureExit(Effect<E, A> inner) {
            super(CAPTURE_EXIT);
            this.inner = inner;
        }
    }

    /** {@link Effect#uncancellable()}: runs {@code inner} with cancellation deferred. */
    static final class Mask<E, A> extends Effect<E, A> {
        final Effect<E, A> inner;

        Mask(Effect<E, A> inner) {
            super(MASK);
            this.inner = inner;
        }
    }

    /** The frame that ends a masked region; never built by users. */
    static final class PopMask extends Effect<Object, Object> {
        static final PopMask INSTANCE = new PopMask();

        private PopMask() {
            super(POP_MASK);
        }
    }

    /** A primitive with access to the running fiber; it may block, and it reports its outcome as an exit. */
    @FunctionalInterface
    interface Primitive<E, A> {
        Exit<E, A> run(Fiber fiber) throws Throwable;
    }

    static final class Prim<E, A> extends Effect<E, A> {
        final Primitive<E, A> body;

        Prim(Primitive<E, A> body) {
            super(PRIM);
            this.body = body;
        }
    }

    /**
     * A primitive that yields its value directly: {@link #step} returns the value, and a non-success ends
     * the step by throwing (the run loop classifies the throwable exactly as for user code: a
     * {@link CancelledException} while the fiber is effectively cancelled is a cancellation, anything else
     * a defect). Unlike {@link Prim} it needs no lambda and allocates no {@link Exit} when it completes,
     * which is what the channel operations ({@link ChannelHandles}) need on their fast path. Both the run
     * loop and {@link Direct#await} call {@code step} directly, without a nested run loop.
     */
    abstract static non-sealed class Op<E, A> extends Effect<E, A> {
        Op() {
            super(OP);
        }

        /**
         * Runs the step on {@code fiber} (the current thread) and returns its value; ends with a
         * non-success by throwing {@link Halt} (an exit computed by a wait, e.g. a cancellation) or any
         * other throwable (classified like user code).
         */
        abstract Object step(Fiber fiber) throws Throwable;

        /**
         * {@code this.flatMap(f)} as one node ({@link OpThen}), or {@code null} if this step has no fused form
         * (then {@link Effect#flatMap} builds a plain {@link FlatMap}). The channel operations override it.
         */
        <B> Effect<E, B> fuse(Function<? super A, ? extends Effect<E, B>> f) {
            return null;
        }
    }

    /**
     * A primitive step fused with the function that continues after it: {@code op.flatMap(f)} built as one node
     * by {@link Op#fuse}, so that each step of a loop written {@code send(x).flatMap(u -> loop(...))} allocates
     * one node instead of two. Runs exactly like the {@code FlatMap} over the {@code Op} it replaces: the run
     * loop's cancellation check before the node, then {@link #step}, then {@code f} applied to its value, with no
     * check in between; a non-success of the step ends it as {@link Op#step} does.
     */
    abstract static non-sealed class OpThen<E, X, A> extends Effect<E, A> {
        final Function<? super X, ? extends Effect<E, A>> f;

        OpThen(Function<? super X, ? extends Effect<E, A>> f) {
            super(OP_THEN);
            this.f = f;
        }

        /** The step, exactly as the fused {@link Op#step}. */
        abstract Object step(Fiber fiber) throws Throwable;
    }

    /**
     * {@code effect.flatMap(f)} as a node: fused when {@code effect} is an {@link Op} that has a fused form, a
     * plain {@link FlatMap} otherwise. {@link Effect#flatMap} builds its node here after noting {@code f} for
     * call-site traces; the library's own continuations call it directly (their lambdas are not user call sites).
     */
    @SuppressWarnings("unchecked")
    static <E, X, A> Effect<E, A> flatMapOf(Effect<E, X> effect, Function<? super X, ? extends Effect<E, A>> f) {
        if (effect.tag == OP) {
            Effect<E, A> fused = ((Op<E, X>) effect).fuse(f);
            if (fused != null) {
                return fused;
            }
        }
        return new FlatMap<>(effect, f);
    }

    /**
     * Ends an {@link Op} step with a given non-success exit. Stackless and, for cancellation, shared: it
     * never escapes the run loop or {@link Direct#await}, which catch it and take its exit.
     */
    static final class Halt extends RuntimeException {
        @java.io.Serial
        private static final long serialVersionUID = 1L;
        static final Halt CANCELLED = new Halt(RunLoop.cancelled());

        final transient Exit<?, ?> exit;

        private Halt(Exit<?, ?> exit) {
            super(null, null, false, false);
            this.exit = exit;
        }

        /** The signal for a non-success exit of a wait. */
        static Halt of(Exit<?, ?> exit) {
            return exit instanceof Exit.Cancelled<?, ?> ? CANCELLED : new Halt(exit);
        }
    }

    /** The direct-style builder, see {@link Effect#gen}. */
    static final class Gen<E, A> extends Effect<E, A> {
        final Effect.Body<E, A> body;

        Gen(Effect.Body<E, A> body) {
            super(GEN);
            this.body = body;
        }
    }
}
