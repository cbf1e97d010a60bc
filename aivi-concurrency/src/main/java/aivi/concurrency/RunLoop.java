package aivi.concurrency;

import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The interpreter of {@link Effect} trees.
 */
final class RunLoop {
    // Implementation overview (not public documentation).
    //
    // run walks an effect with an explicit continuation stack (an Object[] of frame nodes) instead of the Java
    // call stack, so arbitrarily deep flatMap chains, left- or right-nested, and effects that loop by recursion
    // run in constant Java stack. The loop is in one of three modes:
    // - eval (cur != null): take one step of cur. Composite nodes push themselves as frames and descend into their
    //   inner effect; leaves produce a value or an exit.
    // - return (cur == null && exit == null): pop frames with the success value: FlatMap switches back to eval,
    //   Map transforms the value, finalizer frames run their finalizer, and so on.
    // - unwind (exit != null): pop frames with a failure, defect or cancellation, skipping FlatMap/Map, entering
    //   handlers, running finalizers.
    //
    // Fast paths. A FlatMap or Map directly over a Succeed (every step of a loop written as
    // succeed(x).flatMap(...)) applies its function at once instead of pushing a frame, evaluating the value and
    // popping the frame; succeed(x).flatMap(f) and succeed(x).map(f) are even fused into one node when they are
    // built (Bind, MapValue). A FlatMap directly over a primitive step (Op: a channel operation) runs the step and
    // applies its function without a frame too. The continuation stack is allocated on the first push, so a nested
    // run of a single step (an await of a value, a one-step finalizer) allocates none.
    // A map of a map is fused when it is built (Node.MapChain: up to 64 functions in one node), so a deep chain of
    // maps is one frame per 64 steps, applied by a loop over an array. A function of a chain that throws leaves the
    // chain's later functions pending: traceRest adds them to the defect's trace before the stack's frames.
    //
    // A channel operation followed by flatMap is fused the same way when it is built (Node.OpThen: the step and
    // the function in one node), so a send or receive loop written with flatMap allocates one node per step.
    //
    // Three shapes run in tight inner loops that skip the dispatch but not the cancellation check: a run of fused
    // Bind steps (a recursive loop), a run of fused OpThen steps (a channel loop) and the descent of a chain of
    // maps.
    //
    // The continuation stack is chunked. Its first chunk doubles from 16 up to CHUNK slots; past that, each new
    // chunk holds CHUNK slots and its slot 0 links to the full chunk below it (an Object[], which no frame can be).
    // Popping that link goes back down and keeps the emptied chunk as a spare for the next push across the
    // boundary, so a loop that oscillates there allocates nothing. A deep prebuilt chain therefore never copies its
    // frames and never needs one huge array (which the GC would place as a humongous object). A frame is an
    // effect node, except that a map step pushes its bare function: the return path applies it without going back
    // to the node, which for a deep chain is long out of the cache. The unwind path skips both kinds; EffectTrace
    // reads both, and follows the links.
    //
    // Cancellation is checked before every eval step: one volatile read of Fiber.cancelSignal, and the level scan
    // only when it is set (see Fiber). A cancelled fiber unwinds with Exit.Cancelled, running every finalizer on
    // the way inside a mask. A step that has already produced its value keeps it: cancellation is observed only
    // before the next step starts.
    //
    // Finalizers, scopes and the direct-style builder run nested effects by calling run recursively on the same
    // fiber (same levels, fresh continuation stack). That recursion is bounded by how deeply such constructs are
    // nested in the program text, not by how long the program runs.
    //
    // Defects are traced when the loop starts unwinding with one: the frames still on the continuation stack are
    // appended to the cause's EffectTrace (created on first use, a suppressed exception), once per defect and
    // loop. Nested loops and the fibers the defect crosses each add their part, innermost first. This costs one
    // type check per unwind and nothing on the success path.
    //
    // Only the fiber's own thread ever runs this loop for that fiber, so nothing here is shared.

    private RunLoop() {
    }

    @SuppressWarnings("rawtypes")
    private static final Exit CANCELLED = new Exit.Cancelled<>();

    @SuppressWarnings("unchecked")
    static <E, A> Exit<E, A> cancelled() {
        return (Exit<E, A>) CANCELLED;
    }

    /** Runs {@code start} to completion on {@code fiber} (the current thread) and returns its exit. */
    static Exit<Object, Object> run(Fiber fiber, Effect<?, ?> start) {
        // Every push of the loop is popped before it returns; if a throw cut a pop short (see Fiber.restoreStacks),
        // the stacks are put back here, once the loop's own frame is gone. Inside the loop, at its deepest, the
        // repair could overflow in turn, and the loop's catch-all then retried it for ever: a livelock, seen in
        // StackOverflowAtCallSitesTest run for several rounds in one JVM (a fiber RUNNABLE in restoreStacks, with
        // a defect collecting one suppressed overflow per turn). Here a repair that still overflows is thrown to
        // the caller, which is shallower again, and every enclosing loop repairs its own part on its return. Two
        // field reads on the way in, two compares on the way out.
        int entryTop = fiber.top;
        int entryScopes = fiber.scopeCount;
        int entryNesting = fiber.loopNesting; // see Fiber.loopNesting
        fiber.loopNesting = entryNesting + 1;
        Exit<Object, Object> exit;
        try {
            exit = loop(fiber, start);
        } finally {
            fiber.loopNesting = entryNesting; // a field write: it cannot fail
        }
        if (fiber.top != entryTop || fiber.scopeCount != entryScopes) {
            fiber.restoreStacks(entryTop, entryScopes);
        }
        return exit;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Exit<Object, Object> loop(Fiber fiber, Effect<?, ?> start) {
        // Allocated on the first push: nested runs of a single step (an await of a value, a finalizer that
        // is one sync) never need a stack.
        Object[] stack = NO_FRAMES;
        Object[] spare = null; // a chunk given back by the last pop across a chunk boundary, for the next push
        int sp = 0;
        Effect cur = start;
        Object value = null;
        Exit exit = null;
        Throwable traced = null;

        for (;;) {
            try {
                // ---- eval ----
                while (cur != null) {
                    if (fiber.cancelSignal && fiber.effectivelyCancelled()) {
                        exit = CANCELLED;
                        cur = null;
                        break;
                    }
                    switch (cur.tag) {
                        case Node.SUCCEED -> {
                            value = ((Node.Succeed) cur).value;
                            cur = null;
                        }
                        case Node.FLAT_MAP -> {
                            Node.FlatMap fm = (Node.FlatMap) cur;
                            Effect inner = fm.inner;
                            if (inner.tag == Node.SUCCEED) {
                                // Fast path (the shape of every step of a recursive loop): apply the continuation
                                // to the value at once instead of pushing the frame, evaluating the value and
                                // popping the frame again. No user code runs in between, so skipping the
                                // cancellation check of the inner step is unobservable; the next step checks.
                                try {
                                    cur = nonNull((Effect) fm.f.apply(((Node.Succeed) inner).value),
                                            "Effect.flatMap: the function returned null");
                                } catch (Throwable t) {
                                    cur = null;
                                    exit = classify(fiber, t);
                                }
                            } else if (inner.tag == Node.OP) {
                                // Fast path (a channel operation followed by the rest of a loop): run the
                                // operation and apply the continuation without a frame. The cancellation check
                                // above is the one the operation's own step would have made; between the
                                // operation and the continuation the return path makes none either.
                                cur = null;
                                Object v;
                                try {
                                    v = ((Node.Op) inner).step(fiber);
                                    cur = nonNull((Effect) fm.f.apply(v), "Effect.flatMap: the function returned null");
                                } catch (Node.Halt h) {
                                    exit = h.exit;
                                } catch (Throwable t) {
                                    exit = classify(fiber, t);
                                }
                            } else {
                                if (sp == stack.length) {
                                    stack = room(stack, spare);
                                    if (sp == CHUNK) { // a new chunk above the full one (see room)
                                        spare = null;
                                        sp = 1;
                                    }
                                }
                                stack[sp++] = cur;
                                cur = inner;
                            }
                        }
                        case Node.MAP -> {
                            // A chain of maps descends here without going back through the dispatch; each step
                            // checks cancellation as the eval loop would.
                            for (;;) {
                                Node.Map m = (Node.Map) cur;
                                Effect inner = m.inner;
                                if (inner.tag == Node.SUCCEED) {
                                    // Fast path, as for FLAT_MAP: map the value without a frame.
                                    cur = null;
                                    try {
                                        value = m.f.apply(((Node.Succeed) inner).value);
                                    } catch (Throwable t) {
                                        exit = classify(fiber, t);
                                    }
                                    break;
                                }
                                if (sp == stack.length) {
                                    stack = room(stack, spare);
                                    if (sp == CHUNK) { // a new chunk above the full one (see room)
                                        spare = null;
                                        sp = 1;
                                    }
                                }
                                // A map frame is its bare function (see the overview): the return path applies
                                // it without reading the node again.
                                stack[sp++] = m.f;
                                cur = inner;
                                if (inner.tag != Node.MAP || fiber.cancelSignal) {
                                    break;
                                }
                            }
                        }
                        case Node.MAP_CHAIN -> {
                            // A fused run of maps (Node.MapChain): over a value, apply them all at once; otherwise
                            // push the node as one frame for all of them.
                            Node.MapChain c = (Node.MapChain) cur;
                            Effect inner = c.inner;
                            if (inner.tag == Node.SUCCEED) {
                                cur = null;
                                value = ((Node.Succeed) inner).value;
                                int i = 0;
                                Function[] fns = c.segment.fns;
                                try {
                                    for (int n = c.n; i < n; i++) {
                                        value = fns[i].apply(value);
                                    }
                                } catch (Throwable t) {
                                    exit = classify(fiber, t);
                                    traceRest(fiber, exit, fns, i + 1, c.n);
                                }
                            } else {
                                if (sp == stack.length) {
                                    stack = room(stack, spare);
                                    if (sp == CHUNK) { // a new chunk above the full one (see room)
                                        spare = null;
                                        sp = 1;
                                    }
                                }
                                stack[sp++] = c;
                                cur = inner;
                            }
                        }
                        case Node.BIND -> {
                            // succeed(x).flatMap(f) fused: the same as the FLAT_MAP fast path over a value.
                            // A loop of such steps stays here, each step checking cancellation as the eval loop
                            // would, without going back through the dispatch.
                            try {
                                do {
                                    Node.Bind b = (Node.Bind) cur;
                                    cur = nonNull((Effect) b.f.apply(b.value), "Effect.flatMap: the function returned null");
                                } while (cur.tag == Node.BIND && !fiber.cancelSignal);
                            } catch (Throwable t) {
                                cur = null;
                                exit = classify(fiber, t);
                            }
                        }
                        case Node.MAP_VALUE -> {
                            Node.MapValue m = (Node.MapValue) cur;
                            cur = null;
                            try {
                                value = m.f.apply(m.value);
                            } catch (Throwable t) {
                                exit = classify(fiber, t);
                            }
                        }
                        case Node.FAIL -> {
                            exit = new Exit.Failure<>(((Node.Fail) cur).error);
                            cur = null;
                        }
                        case Node.SYNC -> {
                            Node.Sync s = (Node.Sync) cur;
                            cur = null;
                            try {
                                value = s.thunk.get();
                            } catch (Throwable t) {
                                exit = classify(fiber, t);
                            }
                        }
                        case Node.ATTEMPT -> {
                            Node.Attempt a = (Node.Attempt) cur;
                            cur = null;
                            try {
                                value = a.thunk.call();
                            } catch (Exception e) {
                                if (isInterruption(e) && fiber.effectivelyCancelled()) {
                                    exit = CANCELLED;
                                } else {
                                    try {
                                        exit = new Exit.Failure<>(a.onException.apply(e));
                                    } catch (Throwable t) {
                                        exit = new Exit.Defect<>(t);
                                    }
                                }
                            } catch (Throwable t) {
                                exit = classify(fiber, t);
                            }
                        }
                        case Node.SUSPEND -> {
                            Node.Suspend s = (Node.Suspend) cur;
                            try {
                                cur = nonNull((Effect) s.thunk.get(), "Effect.suspend: the thunk returned null");
                            } catch (Throwable t) {
                                cur = null;
                                exit = classify(fiber, t);
                            }
                        }
                        case Node.FOLD, Node.ENSURING, Node.CAPTURE_EXIT -> {
                            if (sp == stack.length) {
                                stack = room(stack, spare);
                                if (sp == CHUNK) { // a new chunk above the full one (see room)
                                    spare = null;
                                    sp = 1;
                                }
                            }
                            stack[sp++] = cur;
                            cur = switch (cur.tag) {
                                case Node.FOLD -> ((Node.Fold) cur).inner;
                                case Node.ENSURING -> ((Node.Ensuring) cur).inner;
                                default -> ((Node.CaptureExit) cur).inner;
                            };
                        }
                        case Node.MASK -> {
                            if (sp == stack.length) {
                                stack = room(stack, spare);
                                if (sp == CHUNK) { // a new chunk above the full one (see room)
                                    spare = null;
                                    sp = 1;
                                }
                            }
                            fiber.pushMask();
                            stack[sp++] = Node.PopMask.INSTANCE;
                            cur = ((Node.Mask) cur).inner;
                        }
                        case Node.PRIM -> {
                            Node.Prim p = (Node.Prim) cur;
                            cur = null;
                            Exit e;
                            try {
                                e = p.body.run(fiber);
                            } catch (Throwable t) {
                                e = classify(fiber, t);
                            }
                            if (e instanceof Exit.Success s) {
                                value = s.value();
                            } else {
                                exit = e;
                            }
                        }
                        case Node.OP -> {
                            Node.Op op = (Node.Op) cur;
                            cur = null;
                            try {
                                value = op.step(fiber);
                            } catch (Node.Halt h) {
                                exit = h.exit;
                            } catch (Throwable t) {
                                exit = classify(fiber, t);
                            }
                        }
                        case Node.OP_THEN -> {
                            // A channel operation fused with the rest of a loop (Node.OpThen): the same as the
                            // FLAT_MAP fast path over an OP. A loop of such steps stays here, each step checking
                            // cancellation as the eval loop would, without going back through the dispatch.
                            Node.OpThen ot = (Node.OpThen) cur;
                            cur = null;
                            try {
                                for (;;) {
                                    Effect next = nonNull((Effect) ot.f.apply(ot.step(fiber)),
                                            "Effect.flatMap: the function returned null");
                                    if (next.tag != Node.OP_THEN || fiber.cancelSignal) {
                                        cur = next;
                                        break;
                                    }
                                    ot = (Node.OpThen) next;
                                }
                            } catch (Node.Halt h) {
                                exit = h.exit;
                            } catch (Throwable t) {
                                exit = classify(fiber, t);
                            }
                        }
                        case Node.DONE -> {
                            Exit e = ((Node.Done) cur).exit;
                            cur = null;
                            if (e instanceof Exit.Success s) {
                                value = s.value();
                            } else {
                                exit = e;
                            }
                        }
                        case Node.GEN -> {
                            Node.Gen g = (Node.Gen) cur;
                            cur = null;
                            Exit e = Direct.runBody(fiber, g.body);
                            if (e instanceof Exit.Success s) {
                                value = s.value();
                            } else {
                                exit = e;
                            }
                        }
                        default -> throw new IllegalStateException("unknown effect node " + cur.tag);
                    }
                }

                // ---- return: pop frames with a value ----
                if (exit == null) {
                    for (;;) {
                        if (sp == 0) {
                            return new Exit.Success<>(value); // run() repairs the stacks if a pop was cut short
                        }
                        Object top = stack[--sp];
                        stack[sp] = null;
                        if (!(top instanceof Effect frame)) {
                            if (top.getClass() == Object[].class) {
                                // the link at the bottom of a chunk: go back to the full chunk below it
                                spare = stack;
                                stack = (Object[]) top;
                                sp = stack.length;
                            } else {
                                try {
                                    value = ((Function) top).apply(value);
                                } catch (Throwable t) {
                                    exit = classify(fiber, t);
                                    break;
                                }
                            }
                            continue;
                        }
                        switch (frame.tag) {
                            case Node.FLAT_MAP -> {
                                try {
                                    cur = nonNull((Effect) ((Node.FlatMap) frame).f.apply(value),
                                            "Effect.flatMap: the function returned null");
                                } catch (Throwable t) {
                                    exit = classify(fiber, t);
                                }
                            }
                            case Node.MAP_CHAIN -> {
                                Node.MapChain c = (Node.MapChain) frame;
                                Function[] fns = c.segment.fns;
                                int i = 0;
                                try {
                                    for (int n = c.n; i < n; i++) {
                                        value = fns[i].apply(value);
                                    }
                                } catch (Throwable t) {
                                    exit = classify(fiber, t);
                                    traceRest(fiber, exit, fns, i + 1, c.n);
                                }
                            }
                            case Node.FOLD -> {
                                Function k = ((Node.Fold) frame).onSuccess;
                                if (k != null) {
                                    try {
                                        cur = nonNull((Effect) k.apply(value), "Effect.fold: the handler returned null");
                                    } catch (Throwable t) {
                                        exit = classify(fiber, t);
                                    }
                                }
                            }
                            case Node.ENSURING -> {
                                Exit done = new Exit.Success<>(value);
                                Exit after = finalize(fiber, ((Node.Ensuring) frame).finalizer, done);
                                if (after != done) {
                                    exit = after;
                                }
                            }
                            case Node.CAPTURE_EXIT -> value = new Exit.Success<>(value);
                            case Node.POP_MASK -> fiber.popMask();
                            default -> throw new IllegalStateException("unknown frame " + frame.tag);
                        }
                        if (cur != null || exit != null) {
                            break;
                        }
                    }
                    if (cur != null) {
                        continue;
                    }
                }

                // ---- unwind: pop frames with a non-success exit ----
                if (exit instanceof Exit.Defect d && d.cause() != traced) {
                    traced = d.cause(); // the defect path only: name the pending steps for the user (EffectTrace)
                    EffectTrace.record(fiber, traced, stack, sp);
                }
                for (;;) {
                    if (sp == 0) {
                        return exit; // run() repairs the stacks if a pop was cut short
                    }
                    Object top = stack[--sp];
                    stack[sp] = null;
                    if (!(top instanceof Effect frame)) {
                        if (top.getClass() == Object[].class) {
                            spare = stack;
                            stack = (Object[]) top;
                            sp = stack.length;
                        }
                        continue; // a map function: skipped
                    }
                    switch (frame.tag) {
                        case Node.FLAT_MAP, Node.MAP_CHAIN -> {
                        }
                        case Node.FOLD -> {
                            Node.Fold f = (Node.Fold) frame;
                            Function handler = exit instanceof Exit.Failure ? f.onFailure
                                    : exit instanceof Exit.Defect ? f.onDefect : null;
                            if (handler != null) {
                                Object arg = exit instanceof Exit.Failure fl ? fl.error() : ((Exit.Defect) exit).cause();
                                try {
                                    cur = nonNull((Effect) handler.apply(arg), "Effect: an error handler returned null");
                                    exit = null;
                                } catch (Throwable t) {
                                    exit = classify(fiber, t);
                                }
                            }
                        }
                        case Node.ENSURING -> exit = finalize(fiber, ((Node.Ensuring) frame).finalizer, exit);
                        case Node.CAPTURE_EXIT -> {
                            if (!(exit instanceof Exit.Cancelled) || !fiber.effectivelyCancelled()) {
                                value = exit;
                                exit = null;
                            }
                        }
                        case Node.POP_MASK -> fiber.popMask();
                        default -> throw new IllegalStateException("unknown frame " + frame.tag);
                    }
                    if (cur != null || exit == null) {
                        break;
                    }
                }
                if (cur == null && exit == null) {
                    // a CaptureExit turned the exit into a value: continue returning
                    cur = new Node.Succeed<>(value);
                }
            } catch (Throwable t) {
                // A throw from the loop's own work, not from user code (every step catches what the user's code
                // throws): an OutOfMemoryError growing the continuation stack, a StackOverflowError at a call the
                // loop makes (a mask push, a finalizer's run, the trace). It becomes this loop's defect, and the
                // loop goes on unwinding the frames still on its stack, so their finalizers run and their masks
                // are popped; before, it escaped run() and skipped them. Progress: every unwind step pops a
                // frame first, and this defect is not traced (the trace could throw again at the same depth).
                cur = null;
                if (exit instanceof Exit.Defect d && d.cause() != t) {
                    d.cause().addSuppressed(t);
                } else {
                    exit = new Exit.Defect<>(t);
                }
                traced = ((Exit.Defect) exit).cause();
            }
        }
    }

    /**
     * Runs the finalizer {@code finalizerOf} makes of the outcome {@code done} ({@code null}: none),
     * uncancellably, and returns the
     * outcome to continue with: {@code done} itself, or a defect if the finalizer failed after a success. A
     * finalizer's failure after another failure is attached (defect) or reported, never lost.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Exit finalize(Fiber fiber, Function finalizerOf, Exit done) {
        Throwable problem = null;
        fiber.pushMask();
        try {
            Effect fin = (Effect) finalizerOf.apply(done);
            if (fin != null) {
                Exit fe = run(fiber, fin);
                problem = switch (fe) {
                    case Exit.Success s -> null;
                    case Exit.Failure f -> new FailureException(f.error());
                    case Exit.Defect d -> d.cause();
                    case Exit.Cancelled c -> null; // a finalizer that joined a cancelled task: nothing failed
                };
            }
        } catch (Throwable t) {
            problem = t;
        } finally {
            fiber.popMask();
        }
        if (problem == null) {
            return done;
        }
        return switch (done) {
            case Exit.Success s -> new Exit.Defect<>(problem);
            case Exit.Defect d -> {
                if (d.cause() != problem) {
                    d.cause().addSuppressed(problem);
                }
                yield d;
            }
            default -> {
                fiber.runtime.reportUnobserved("a finalizer failed while the effect ended with " + done, problem);
                yield done;
            }
        };
    }

    /** Classifies a throwable escaping user code: an interruption we caused is cancellation, else a defect. */
    static <E, A> Exit<E, A> classify(Fiber fiber, Throwable t) {
        if ((isInterruption(t) || t instanceof CancelledException) && fiber.effectivelyCancelled()) {
            return cancelled();
        }
        return new Exit.Defect<>(t);
    }

    static boolean isInterruption(Throwable t) {
        return t instanceof InterruptedException
                || t instanceof InterruptedIOException
                || t instanceof ClosedByInterruptException
                || (t.getCause() != null && t.getCause() != t
                && (t.getCause() instanceof InterruptedException
                || t.getCause() instanceof InterruptedIOException
                || t.getCause() instanceof ClosedByInterruptException));
    }

    private static final Object[] NO_FRAMES = new Object[0];

    /**
     * The size of a chunk of the continuation stack. The first chunk doubles from 16 up to this; deeper frames go
     * in further chunks of this size, each linked to the one below by its slot 0.
     */
    static final int CHUNK = 1024;

    /**
     * Room for one more frame on the full stack {@code stack}: the first chunk doubled (it is shorter than
     * {@link #CHUNK}, so the caller's sp stays), or a chunk above it (the first chunk or a linked one, full at
     * {@link #CHUNK} slots, so sp is {@code CHUNK}: the caller continues at 1 and has used up {@code spare}).
     */
    private static Object[] room(Object[] stack, Object[] spare) {
        return stack.length < CHUNK ? grow(stack) : chain(stack, spare);
    }

    /**
     * Adds the functions {@code fns[from..n)} of a map chain, which had not run when an earlier one threw, to the
     * trace of {@code exit} if it is a defect: pending steps, innermost first, listed before the frames still on
     * the stack (which the unwind then records).
     */
    @SuppressWarnings("rawtypes")
    private static void traceRest(Fiber fiber, Exit exit, Function[] fns, int from, int n) {
        if (exit instanceof Exit.Defect d && from < n) {
            Object[] rest = new Object[n - from]; // stack order: the next function to apply on top
            for (int k = 0; k < rest.length; k++) {
                rest[k] = fns[n - 1 - k];
            }
            EffectTrace.record(fiber, d.cause(), rest, rest.length);
        }
    }

    /** Doubles the continuation stack's first chunk (or allocates its first 16 frames). */
    private static Object[] grow(Object[] stack) {
        return Arrays.copyOf(stack, Math.max(16, stack.length << 1));
    }

    /**
     * A new chunk above the full chunk {@code full}: {@code spare} if there is one (it is empty: every pop
     * clears its slot), else a fresh one; its slot 0 links to {@code full}, so the caller continues at sp 1.
     */
    private static Object[] chain(Object[] full, Object[] spare) {
        Object[] next = spare != null ? spare : new Object[CHUNK];
        next[0] = full;
        return next;
    }

    @SuppressWarnings("rawtypes")
    private static Effect nonNull(Effect e, String message) {
        if (e == null) {
            throw new NullPointerException(message);
        }
        return e;
    }
}
