package aivi.concurrency;

import java.io.Serial;
import java.util.Arrays;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Function;

/**
 * Attached (as a suppressed exception) to the cause of every defect: the chain of effects that was running
 * around the code that threw, innermost first, as stack frames a Java developer can read. The defect's own
 * stack trace names the lambda that threw (its first frames are the user's code); the interpreter's frames
 * below it say nothing about the program. This trace lists, for each step still pending when the defect
 * happened, the kind of step ({@code flatMap}, {@code map}, {@code catchAll}, {@code ensuring}, ...) and
 * the class whose code built it, and a {@code Fiber.run(<fiber name>)} frame that ends each fiber's part. A
 * defect that reaches another fiber as a defect (through {@code par}, {@code race}, {@code scope}) adds that
 * fiber's part below.
 *
 * <p><b>Line numbers.</b> Run with the system property {@code aivi.concurrency.tracing=true}
 * ({@code java -Daivi.concurrency.tracing=true ...}, read once when the library is loaded) and each frame of a
 * step that holds a function of yours ({@code flatMap}, {@code map}, {@code catchAll}, {@code catchDefect},
 * {@code foldEffect}, {@code onExit}) is instead the place in your code where that step was built: class,
 * method, file and line of the {@code flatMap(...)} call, as a debugger or an IDE can follow. The site is found
 * once per lambda class, with a stack walk when the first node with that lambda is built, and cached; after
 * that, building a node costs one lookup. A lambda expression always reaches the same call, so its site is
 * exact; one function object passed to several calls (a lambda kept in a variable, a named {@code Function}
 * class) reports the first of them. Steps the library builds around a value or a wrapped function
 * ({@code as}, {@code then}, {@code zip}, {@code ensuring}, {@code mapError}, {@code tap}, {@code fold}) keep
 * the kind-and-class frame. Off (the default), building an effect does no tracing work at all.
 *
 * {@snippet :
 * Exit<String, Integer> exit = Effect.<String, Integer>succeed(1)
 *         .map(x -> x / 0)
 *         .flatMap(x -> Effect.succeed(x + 1))
 *         .run();
 * if (exit instanceof Exit.Defect<String, Integer> d) {
 *     d.cause().printStackTrace(); // ArithmeticException, then "Suppressed: aivi.concurrency.EffectTrace: ..."
 * }
 * }
 */
public final class EffectTrace extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    // Written by the fibers the defect passes through; a defect object may be shared (a rethrown constant, a
    // joined task's defect seen by several joiners), so appends take the lock. The frames stay bounded.
    //
    // The lock is a spin lock on one int (this class extends RuntimeException, so it cannot extend SpinLock):
    // a CAS (acquire) takes it, and a plain volatile store in a finally releases it on every path. An append runs
    // where a defect starts unwinding, possibly at the very end of the stack; a ReentrantLock whose unlock()
    // overflowed at its entry there stayed held, and the next fiber to append to the same defect (a joiner)
    // waited for ever. The store is a field write: no throw skips it, and it cannot overflow itself. Nothing under
    // the lock blocks or runs user code.
    private static final int MAX_FRAMES = 64;
    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(EffectTrace.class, "lock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** 0 free, 1 held; see above. */
    private transient volatile int lock;
    private StackTraceElement[] frames = new StackTraceElement[0];
    private transient Fiber lastFiber;

    private EffectTrace() {
        super(CallSites.ENABLED
                        ? "the effects around this defect, innermost first (each frame: where the step was built)"
                        : "the effects around this defect, innermost first (each frame: the step, and the class that"
                        + " built it)",
                null, false, true);
    }

    /**
     * Appends the pending steps {@code stack[0..sp)} of a run loop on {@code fiber} to the trace of
     * {@code cause}, creating it on first use. Called on the defect path only. The stack is the run loop's
     * chunked continuation stack: a frame is an effect node, or a map step's bare function, and slot 0 of every
     * chunk but the first links to the full chunk below it (see {@link RunLoop}).
     */
    static void record(Fiber fiber, Throwable cause, Object[] stack, int sp) {
        if (cause instanceof EffectTrace) {
            return;
        }
        EffectTrace trace = null;
        for (Throwable s : cause.getSuppressed()) {
            if (s instanceof EffectTrace t) {
                trace = t;
                break;
            }
        }
        if (trace == null) {
            trace = new EffectTrace();
            cause.addSuppressed(trace);
        }
        trace.append(fiber, stack, sp);
    }

    private void append(Fiber fiber, Object[] stack, int sp) {
        while (!LOCK.compareAndSet(this, 0, 1)) {
            Thread.yield(); // held only while another fiber appends a few dozen frames
        }
        try {
            StackTraceElement[] fs = frames;
            int n = fs.length;
            if (n >= MAX_FRAMES) {
                return;
            }
            // Each fiber's section ends with its Fiber.run frame; a later loop of the same fiber (an enclosing
            // scope's) continues the section, so its marker moves to the new end.
            if (fiber == lastFiber && n > 0) {
                n--;
            }
            StackTraceElement[] more = Arrays.copyOf(fs, MAX_FRAMES); // trimmed below
            // innermost first, following the links down the chunks; a chain frame stands for several steps
            Object[] chunk = stack;
            for (int i = sp - 1; i >= 0 && n < more.length - 1; i--) {
                Object slot = chunk[i];
                if (slot instanceof Object[] below) {
                    chunk = below;
                    i = below.length; // the loop's i-- makes it the top slot of the chunk below
                    continue;
                }
                if (slot instanceof Node.MapChain c) {
                    // fused maps, innermost (applied first) first
                    for (int k = 0; k < c.n && n < more.length - 1; k++) {
                        more[n++] = step("map", c.segment.fns[k]);
                    }
                    continue;
                }
                StackTraceElement e = frameOf(slot);
                if (e != null) {
                    more[n++] = e;
                }
            }
            Thread t = fiber.thread;
            more[n++] = new StackTraceElement(Fiber.class.getName(), "run", t == null ? "fiber" : t.getName(), -1);
            lastFiber = fiber;
            frames = n == more.length ? more : Arrays.copyOf(more, n);
            setStackTrace(frames);
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip
        }
    }

    @SuppressWarnings("rawtypes")
    private static StackTraceElement frameOf(Object slot) {
        if (!(slot instanceof Effect frame)) {
            return step("map", (Function<?, ?>) slot); // a map step's frame is its function
        }
        return switch (frame.tag) {
            case Node.FLAT_MAP -> step("flatMap", ((Node.FlatMap) frame).f);
            case Node.MAP -> step("map", ((Node.Map) frame).f);
            case Node.FOLD -> {
                Node.Fold f = (Node.Fold) frame;
                if (f.onSuccess == null && f.onDefect == null) {
                    yield step("catchAll", f.onFailure);
                }
                yield f.onSuccess == null && f.onFailure == null ? step("catchDefect", f.onDefect)
                        : step("fold", f.onSuccess != null ? f.onSuccess : f.onFailure);
            }
            case Node.ENSURING -> step("ensuring", ((Node.Ensuring) frame).finalizer);
            case Node.CAPTURE_EXIT -> step("exit", null);
            case Node.POP_MASK -> step("uncancellable", null);
            default -> null;
        };
    }

    /**
     * A frame for a step whose function is {@code f}: with call-site tracing on, where the step was built (the
     * user's {@code flatMap}, {@code map}, ... call, with its line); otherwise, or for a step the library built
     * from a value ({@code as}, {@code then}, {@code ensuring}, ...), the kind of step and the class where the
     * lambda was written.
     */
    private static StackTraceElement step(String kind, Function<?, ?> f) {
        if (CallSites.ENABLED) {
            StackTraceElement site = CallSites.siteOf(f);
            if (site != null) {
                return site;
            }
        }
        String owner = f == null ? Effect.class.getName() : f.getClass().getName();
        int lambda = owner.indexOf("$$Lambda");
        if (lambda > 0) {
            owner = owner.substring(0, lambda);
        }
        String top = owner;
        int nested = top.indexOf('$');
        if (nested > 0) {
            top = top.substring(0, nested);
        }
        String file = top.substring(top.lastIndexOf('.') + 1) + ".java";
        return new StackTraceElement(owner, kind, file, -1);
    }
}
