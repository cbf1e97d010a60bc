package aivi.concurrency;

import aivi.concurrency.internal.SpinLock;
import java.util.ArrayList;
import java.util.List;

/**
 * The errors of one structured primitive ({@code par}, {@code race}, a scope), in the order they happened:
 * the first is the outcome, the later ones are never lost (attached as suppressed to a defect outcome, or
 * reported to the runtime's error handler).
 *
 * <p>Thread-safe: children add their errors from their own threads. The lock guards only the list; the
 * error handler (user code) is always called after the lock is released.
 */
// The lock is this object's SpinLock word, released on every path with a plain volatile store in a finally: a
// field write, which no throw can skip and which cannot overflow the stack itself. A ReentrantLock whose unlock()
// overflowed at its entry (an owner deep in its stack recording the body's error) stayed held, and the next child
// to fail then waited for it for ever. Nothing under the lock blocks or runs user code; an allocation that fails
// (the list growing, the snapshot) still releases it.
final class Errors extends SpinLock {
    private final List<Exit<?, ?>> list = new ArrayList<>(2);

    /**
     * Adds an error; returns whether it was the first. The same error arriving twice (a body that joined the
     * failed child and rethrew its error) is one error, not a later one.
     */
    boolean add(Exit<?, ?> e) {
        lock();
        try {
            for (Exit<?, ?> known : list) {
                if (sameError(known, e)) {
                    return false;
                }
            }
            list.add(e);
            return list.size() == 1;
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see the class comment)
        }
    }

    boolean isEmpty() {
        lock();
        try {
            return list.isEmpty();
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see the class comment)
        }
    }

    /** The first error with the later ones attached or reported, or {@code null} if none. */
    @SuppressWarnings("rawtypes")
    Exit combine(EffectRuntime runtime) {
        List<Exit<?, ?>> all = snapshot();
        if (all.isEmpty()) {
            return null;
        }
        Exit first = all.get(0);
        for (int i = 1; i < all.size(); i++) {
            attach(first, all.get(i), runtime);
        }
        return first;
    }

    /** Attaches or reports every error except {@code kept}, the outcome. */
    void reportAllBut(Exit<?, ?> kept, EffectRuntime runtime) {
        for (Exit<?, ?> e : snapshot()) {
            if (e != kept) {
                attach(kept, e, runtime);
            }
        }
    }

    private List<Exit<?, ?>> snapshot() {
        lock();
        try {
            return List.copyOf(list);
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see the class comment)
        }
    }

    private static boolean sameError(Exit<?, ?> a, Exit<?, ?> b) {
        if (a instanceof Exit.Failure<?, ?> fa && b instanceof Exit.Failure<?, ?> fb) {
            return fa.error() == fb.error();
        }
        return a instanceof Exit.Defect<?, ?> da && b instanceof Exit.Defect<?, ?> db && da.cause() == db.cause();
    }

    private static void attach(Exit<?, ?> first, Exit<?, ?> later, EffectRuntime runtime) {
        Throwable t = ScopeImpl.toThrowable(later);
        if (first instanceof Exit.Defect<?, ?> d) {
            if (d.cause() != t) {
                d.cause().addSuppressed(t);
            }
        } else {
            runtime.reportUnobserved("an error after the first failure " + first, t);
        }
    }
}
