package aivi.concurrency;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A one-shot timer of a runtime's {@link Timers}: runs its action once the runtime's {@link Clock} reaches
 * the deadline, unless cancelled first.
 *
 * <p>States: {@code PENDING -> FIRED} (the timer thread won) or {@code PENDING -> CANCELLED} (the owner
 * won); one compare-and-set decides, so the action runs at most once and {@link #fired()} tells the owner
 * reliably whether it did. Both transitions are volatile CASes: the owner that sees {@code FIRED} also sees
 * everything the timer thread wrote before firing.
 */
final class Timer {
    private static final int PENDING = 0;
    private static final int FIRED = 1;
    private static final int CANCELLED = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Timer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Timers owner;
    /** On the owner's clock ({@link Clock#nanoTime()} scale). */
    final long deadline;
    final Runnable action;
    /** Accessed through {@link #STATE} only. */
    @SuppressWarnings("unused")
    private volatile int state;
    /** The position in {@link Timers}' heap, or -1 when not in it; guarded by the {@link Timers} lock. */
    int heapIndex = -1;

    Timer(Timers owner, long deadline, Runnable action) {
        this.owner = owner;
        this.deadline = deadline;
        this.action = action;
    }

    /** Prevents the action if it has not started, and drops the timer from its queue. Any thread. */
    void cancel() {
        if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
            owner.remove(this);
        }
    }

    /** Called by the timer thread once the deadline has passed: whether the action may run. */
    boolean tryFire() {
        return STATE.compareAndSet(this, PENDING, FIRED);
    }

    /** Whether the action ran (or is running). */
    boolean fired() {
        return (int) STATE.getVolatile(this) == FIRED;
    }
}
