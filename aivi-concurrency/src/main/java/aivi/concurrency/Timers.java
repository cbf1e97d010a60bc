package aivi.concurrency;

import aivi.concurrency.internal.SpinLock;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * The timers of one {@link EffectRuntime} ({@code timeoutWith} arms one per call, and {@code sleep} on the system
 * clock one per sleep): a priority queue served by a single virtual thread that parks on the runtime's
 * {@link Clock}.
 */
// The queue lock is the inherited SpinLock: released by a volatile write in every finally, so a stack overflow
// on a deep fiber cannot leave it held (a ReentrantLock here was, and the timer thread blocked on it for good).
final class Timers extends SpinLock {
    // Implementation overview (not public documentation).
    //
    // Why shared. A thread per timer costs a virtual-thread start, a park and an unpark-to-exit for every
    // timeoutWith, even when the effect wins, which is the common case. Here arming is an insertion into a binary
    // min-heap under a lock and disarming a removal, both O(log n), and the timer thread is woken only when a new
    // timer is due earlier than the deadline it is already parked for.
    //
    // State, all guarded by lock: the heap ordered by Timer.deadline (each timer knows its index, so a cancel
    // removes it directly instead of leaving garbage behind), the timer thread (or null when none runs), whether
    // that thread is idle (heap empty; parked without a deadline) or parked until wakeAt, and closed.
    //
    // The timer thread loops: under the lock, pop the head if its deadline has passed, otherwise record the
    // deadline it will park for; outside the lock, fire the popped timer (its Timer.tryFire CAS decides against a
    // concurrent cancel) or park. With a deadline it parks through Clock.parkUntil, so a TestClock sees it as a
    // sleeper and wakes it when virtual time passes the deadline; with an empty heap it parks plainly, so an idle
    // runtime has no sleeper on its clock.
    //
    // Races considered. (1) A timer armed between the thread's decision and its park: the decision (wakeAt, idle)
    // was published under the lock, the arming thread reads it under the same lock and unparks the timer thread if
    // the new deadline is earlier; an unpark that lands before the park leaves the permit set, so the park returns
    // at once and the loop re-decides. (2) Cancel against fire: the thread removes the head under the lock, then
    // the PENDING -> FIRED CAS runs against the owner's PENDING -> CANCELLED CAS; exactly one wins, and a cancel
    // that finds the timer already out of the heap (heapIndex == -1) has nothing to remove. (3) Close: close only
    // marks the queue; the thread exits when it finds the heap empty and the queue closed, clearing thread under
    // the lock, so a timer armed afterwards (a root fiber may still run on a closed runtime) starts a fresh
    // thread.
    //
    // Actions run on the timer thread and must be short and non-blocking (the library's two actions: cancelling a
    // region, which takes a fiber's lock briefly, and unparking a sleeping fiber, see Fiber.sleepOnTimers). An
    // action that throws is reported to the runtime's error handler and does not stop the thread.
    //
    // The user's clock is called only by the timer thread, outside the lock, and guarded: a nanoTime or parkUntil
    // that throws is reported to the error handler and retried after a short real-time back-off (1 ms doubling to
    // 100 ms), so one bad reading neither kills the thread (which would leave every later timeout of the runtime
    // hanging) nor turns into a busy loop. Reports go to the handler on a thread of their own, so a handler that
    // blocks cannot stall the timers.

    private final EffectRuntime runtime;

    private Timer[] heap = new Timer[16];
    private int size;
    /** The timer thread, or {@code null} when none runs. */
    private Thread thread;
    /** The timer thread is parked (or about to park) without a deadline: the heap was empty. */
    private boolean idle;
    /** Otherwise, the deadline the timer thread is parked (or about to park) for. */
    private long wakeAt;
    private boolean closed;

    Timers(EffectRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * Arms a timer that runs {@code action} on the timer thread once the runtime's clock reaches
     * {@code deadline}. Any thread; does not block beyond the queue lock.
     */
    Timer schedule(long deadline, Runnable action) {
        Timer t = new Timer(this, deadline, action);
        lock();
        try {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2); // before any change: an OOM here leaves the heap whole
            }
            insert(t); // atomic: see insert
            // Exception safety (a fiber deep in its stack may overflow at any call below): the thread's state
            // (thread, idle, wakeAt) changes only after the call that starts or wakes it has returned. If that
            // call throws, the timer is armed but the state still says "start it" or "wake it", so the next
            // schedule does; the throw ends this step as a defect, and the armed timer fires harmlessly later
            // (it cancels a region that has been popped). Setting idle = false before an unpark that then
            // overflowed left the thread parked for good, with timers due: every later timeout hung.
            if (thread == null || idle || deadline - wakeAt < 0) {
                // The JDK's Thread.start and LockSupport.unpark of a virtual thread are not safe against a
                // stack overflow: one that strikes after the thread's state changed and before it was handed to
                // the scheduler leaves the timer thread runnable in name and never run again (seen in
                // StackOverflowAtCallSitesTest). Make sure, first, that the stack can take a call chain deeper
                // than theirs; if not, this throws here, before anything of the thread's changed.
                probeStack(STACK_PROBE_DEPTH);
            }
            if (thread == null) {
                Thread started = Thread.ofVirtual().name(runtime.config().fiberNamePrefix() + "timer")
                        .unstarted(this::loop);
                IdleTracker tracker = runtime.idle;
                if (tracker != null) {
                    tracker.timerStarted(started); // busy from now on, until it parks (see IdleTracker)
                }
                try {
                    started.start(); // its first decision happens under the lock, after we release it
                } catch (Throwable e) {
                    if (tracker != null) {
                        tracker.timerEnded(started);
                    }
                    throw e;
                }
                thread = started;
                idle = false;
                wakeAt = deadline;
            } else if (idle || deadline - wakeAt < 0) {
                LockSupport.unpark(thread); // under the lock, so that it happens before the state says it did
                idle = false;
                wakeAt = deadline; // do not wake it again for a later timer
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
        return t;
    }

    /** Removes a cancelled timer from the heap, if the timer thread has not already taken it. */
    void remove(Timer t) {
        Thread wake = null;
        lock();
        try {
            int i = t.heapIndex;
            if (i < 0) {
                return;
            }
            removeAt(i); // atomic: see removeAt
            // No wake-up in general: at worst the thread wakes at the removed deadline and finds nothing due.
            // On a closed queue that has just drained, wake it so it ends now rather than at that deadline.
            if (closed && size == 0) {
                wake = thread;
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
    }

    /** Lets the timer thread end once no timer is left; a later {@link #schedule} starts a new one. */
    void close() {
        Thread wake;
        lock();
        try {
            closed = true;
            wake = size == 0 ? thread : null;
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
    }

    /** The earliest deadline of an armed timer, or {@link Long#MAX_VALUE} if none is armed. */
    long nextDeadline() {
        lock();
        try {
            return size == 0 ? Long.MAX_VALUE : heap[0].deadline;
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /** The number of armed timers; for tests and diagnostics. */
    int size() {
        lock();
        try {
            return size;
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    private void loop() {
        Clock clock = runtime.clock();
        IdleTracker tracker = runtime.idle;
        long backoff = 0;
        for (;;) {
            // The user's clock is called outside the lock, and guarded: a throw is reported and retried
            // after a short real-time back-off; it never ends this thread (every later timeout would hang).
            long now;
            try {
                now = clock.nanoTime();
            } catch (Throwable e) {
                backoff = clockFailed("Clock.nanoTime", e, backoff);
                continue;
            }
            Timer due = null;
            boolean parkIdle = false;
            long parkUntil = 0;
            lock();
            try {
                if (size == 0) {
                    if (closed) {
                        thread = null;
                        if (tracker != null) {
                            tracker.timerEnded(Thread.currentThread());
                        }
                        return;
                    }
                    idle = true;
                    parkIdle = true;
                } else {
                    Timer head = heap[0];
                    if (now - head.deadline >= 0) {
                        removeHead();
                        due = head;
                    } else {
                        idle = false;
                        wakeAt = head.deadline;
                        parkUntil = head.deadline;
                    }
                }
            } finally {
                lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
            }
            if (due != null) {
                if (due.tryFire()) {
                    try {
                        due.action.run();
                    } catch (Throwable e) {
                        report("a timer action failed", e);
                    }
                }
            } else {
                // A library wait for the idle detector: parked, the timer thread does not count as busy.
                if (tracker != null) {
                    tracker.timerWaits();
                }
                if (parkIdle) {
                    LockSupport.park(this);
                } else {
                    try {
                        clock.parkUntil(this, parkUntil);
                        backoff = 0;
                    } catch (Throwable e) {
                        backoff = clockFailed("Clock.parkUntil", e, backoff);
                    }
                }
                if (tracker != null) {
                    tracker.timerRuns();
                }
                Thread.interrupted(); // nobody interrupts this thread on purpose; the heap says what to do
            }
        }
    }

    /** Back-off bounds after a clock failure, in real nanoseconds. */
    private static final long MIN_BACKOFF = 1_000_000L;
    private static final long MAX_BACKOFF = 100_000_000L;

    /**
     * The user's clock threw on the timer thread: report it, then wait a little real time (so a clock that
     * always throws costs no busy loop) and let the loop try again. Returns the next back-off.
     */
    private long clockFailed(String what, Throwable e, long backoff) {
        report("the runtime's clock failed on the timer thread (" + what + "); timers are retried", e);
        long next = backoff == 0 ? MIN_BACKOFF : Math.min(backoff * 2, MAX_BACKOFF);
        LockSupport.parkNanos(this, next); // an unpark (an earlier timer) cuts it short: fine, we re-decide
        Thread.interrupted();
        return next;
    }

    /**
     * Reports to the runtime's error handler on a thread of its own: a handler that blocks must not
     * stall every timer of the runtime, and one that throws is already guarded by
     * {@link EffectRuntime#reportUnobserved}.
     */
    private void report(String context, Throwable e) {
        try {
            Thread.ofVirtual().name(runtime.config().fiberNamePrefix() + "timer-report")
                    .start(() -> runtime.reportUnobserved(context, e));
        } catch (Throwable startFailed) {
            runtime.reportUnobserved(context, e); // could not start a thread (OOM): report here instead
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // The binary min-heap on deadlines; all under the lock.

    /** Deeper, in frames, than the JDK's Thread.start or unpark of a virtual thread; see {@link #schedule}. */
    static final int STACK_PROBE_DEPTH = 96;

    /** Recurses {@code depth} frames; throws {@link StackOverflowError} if the stack cannot take them. */
    static int probeStack(int depth) {
        return depth == 0 ? 0 : probeStack(depth - 1) + 1;
    }

    private void removeHead() {
        removeAt(0);
    }

    // Exception safety of the heap. insert and removeAt run on fibers, which may be deep in their stack: a
    // StackOverflowError can strike at any method entry. Each of them is one method with no call inside (array
    // and field accesses only), so an overflow can strike only at its entry, before anything changed: the heap
    // is whole after any throw. (With the sifts as separate calls, an overflow at a sift's entry left size
    // counting a null slot, or a timer out of the heap, and the timer thread then died of a
    // NullPointerException or never fired that timer: every later timeout hung.) The capacity is grown by the
    // caller before insert, so nothing here allocates.

    /** Under the lock, with {@code size < heap.length}: adds {@code t}. */
    private void insert(Timer t) {
        int i = size;
        while (i > 0) { // sift up
            int parent = (i - 1) >>> 1;
            Timer p = heap[parent];
            if (t.deadline - p.deadline >= 0) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = t;
        t.heapIndex = i;
        size++;
    }

    /** Under the lock: removes the timer at index {@code i}. */
    private void removeAt(int i) {
        heap[i].heapIndex = -1;
        int n = --size;
        Timer last = heap[n];
        heap[n] = null;
        if (i == n) {
            return;
        }
        int k = i;
        int half = n >>> 1;
        while (k < half) { // sift down
            int child = 2 * k + 1;
            Timer c = heap[child];
            int right = child + 1;
            if (right < n && heap[right].deadline - c.deadline < 0) {
                child = right;
                c = heap[child];
            }
            if (last.deadline - c.deadline <= 0) {
                break;
            }
            heap[k] = c;
            c.heapIndex = k;
            k = child;
        }
        if (k == i) {
            while (k > 0) { // it did not move down: it may have to move up
                int parent = (k - 1) >>> 1;
                Timer p = heap[parent];
                if (last.deadline - p.deadline >= 0) {
                    break;
                }
                heap[k] = p;
                p.heapIndex = k;
                k = parent;
            }
        }
        heap[k] = last;
        last.heapIndex = k;
    }
}
