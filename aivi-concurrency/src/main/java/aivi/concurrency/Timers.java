package aivi.concurrency;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The timers of one {@link EffectRuntime} ({@code timeoutWith} arms one per call): a priority queue served by a
 * single virtual thread that parks on the runtime's {@link Clock}.
 */
final class Timers {
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
    // Actions run on the timer thread and must be short and non-blocking (the library's only action, cancelling a
    // region, takes a fiber's lock briefly). An action that throws is reported to the runtime's error handler and
    // does not stop the thread.
    //
    // The user's clock is called only by the timer thread, outside the lock, and guarded: a nanoTime or parkUntil
    // that throws is reported to the error handler and retried after a short real-time back-off (1 ms doubling to
    // 100 ms), so one bad reading neither kills the thread (which would leave every later timeout of the runtime
    // hanging) nor turns into a busy loop. Reports go to the handler on a thread of their own, so a handler that
    // blocks cannot stall the timers.

    private final EffectRuntime runtime;
    private final ReentrantLock lock = new ReentrantLock();

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
        Thread wake = null;
        lock.lock();
        try {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2); // before any change: an OOM here leaves the heap whole
            }
            siftUp(size++, t);
            if (thread == null) {
                thread = Thread.ofVirtual().name(runtime.config().fiberNamePrefix() + "timer").unstarted(this::loop);
                idle = false;
                wakeAt = deadline;
                IdleTracker tracker = runtime.idle;
                if (tracker != null) {
                    tracker.timerStarted(thread); // busy from now on, until it parks (see IdleTracker)
                }
                thread.start(); // the thread's first decision happens under the lock, after we release it
            } else if (idle || deadline - wakeAt < 0) {
                idle = false;
                wakeAt = deadline; // do not wake it again for a later timer
                wake = thread;
            }
        } finally {
            lock.unlock();
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
        return t;
    }

    /** Removes a cancelled timer from the heap, if the timer thread has not already taken it. */
    void remove(Timer t) {
        Thread wake = null;
        lock.lock();
        try {
            int i = t.heapIndex;
            if (i < 0) {
                return;
            }
            t.heapIndex = -1;
            Timer last = heap[--size];
            heap[size] = null;
            if (last != t) {
                siftDown(i, last);
                if (heap[i] == last) {
                    siftUp(i, last);
                }
            }
            // No wake-up in general: at worst the thread wakes at the removed deadline and finds nothing due.
            // On a closed queue that has just drained, wake it so it ends now rather than at that deadline.
            if (closed && size == 0) {
                wake = thread;
            }
        } finally {
            lock.unlock();
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
    }

    /** Lets the timer thread end once no timer is left; a later {@link #schedule} starts a new one. */
    void close() {
        Thread wake;
        lock.lock();
        try {
            closed = true;
            wake = size == 0 ? thread : null;
        } finally {
            lock.unlock();
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
    }

    /** The earliest deadline of an armed timer, or {@link Long#MAX_VALUE} if none is armed. */
    long nextDeadline() {
        lock.lock();
        try {
            return size == 0 ? Long.MAX_VALUE : heap[0].deadline;
        } finally {
            lock.unlock();
        }
    }

    /** The number of armed timers; for tests and diagnostics. */
    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
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
            lock.lock();
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
                lock.unlock();
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
                    tracker.participantWaits();
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
                    tracker.participantRuns();
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

    private void removeHead() {
        Timer head = heap[0];
        head.heapIndex = -1;
        Timer last = heap[--size];
        heap[size] = null;
        if (size > 0) {
            siftDown(0, last);
        }
    }

    private void siftUp(int i, Timer t) {
        while (i > 0) {
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
    }

    private void siftDown(int i, Timer t) {
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            Timer c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].deadline - c.deadline < 0) {
                child = right;
                c = heap[child];
            }
            if (t.deadline - c.deadline <= 0) {
                break;
            }
            heap[i] = c;
            c.heapIndex = i;
            i = child;
        }
        heap[i] = t;
        t.heapIndex = i;
    }
}
