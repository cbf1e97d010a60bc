package aivi.concurrency;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

// The idle detector of a TestRuntime: moves its TestClock to the next deadline exactly when every
// participant waits in a library wait, and reports a deadlock when none is left (ADR 0010).
//
// Participants. The runtime's live fibers and its timer thread (Timers). Each is either busy or in a library
// wait. A fiber enters a wait in Fiber.enterWait and leaves it in Fiber.exitWait (sleep, retry delay, join,
// scope close, send, recv, select, futures); the timer thread waits only around its park. Everything else
// counts as busy: running, runnable, or blocked outside the library (real I/O, Thread.sleep, a JDK lock), so
// time never moves while such work is in flight.
//
// State. One AtomicLong word: the low 32 bits count the busy participants, the high 32 bits count every
// change to busy (an epoch). A participant is counted busy from before its thread starts
// (participantStarted, called by the spawner, which is itself busy) until after it has woken everyone it
// must wake on its way out (participantEnded runs after Fiber.terminate has unparked its joiners, and
// after ScopeImpl.childEnded has signalled its scope). Leaving a wait adds one busy and one epoch in one
// atomic add; entering a wait subtracts one busy, and whoever brings the count to zero unparks the driver.
//
// The invariant the driver relies on:
//   (I1) every wake-up one participant sends another (unpark, interrupt, a Condition signal, a channel
//        commit, a fiber's termination) is sent while the sender is busy;
//   (I2) a woken participant is not parked any more: the JDK moves a parked virtual thread to a runnable
//        state inside unpark() itself, so Thread.getState() no longer reads WAITING; a participant that
//        was not parked yet keeps the permit and does not park.
// Hence, if the busy count is zero, every participant's thread reads WAITING, and the word has not changed
// between two such observations, then nobody can run: every participant waits for something that only
// another participant, or time, could bring. That is the only moment at which the driver moves the clock.
//
// The driver (a virtual thread named <prefix>test-clock) loops:
//   1. while the busy count is non-zero, no run is in progress (no root fiber is live: between runs,
//      detached fibers wait without time moving, so a test reads a stable clock between runs), or this
//      idle moment was already handled, park; the participant that brings the count to zero unparks it
//      (so does a root's start and end, see EffectRuntime), and the permit makes a wake-up sent before
//      the park count;
//   2. verify: every live fiber has a wait record and its thread reads WAITING, and so does the timer
//      thread; read the earliest deadline (the TestClock's sleepers other than the timer thread, and the
//      earliest armed timer, which the timer thread's own deadline may lag behind after a cancel); yield
//      once; check that the word is unchanged and everything still reads WAITING. If any check fails, some
//      participant is still settling (it declared its wait and has not parked yet, or was just woken):
//      back off briefly (spin, yield, then park for at most 1 ms, a poll bounded by real time that orders
//      nothing) and verify again; a participant becoming busy just makes the next loop park in step 1;
//   3. idle with a deadline: advance the clock to exactly that deadline. The clock unparks every sleeper
//      due, which (I2) makes them read as runnable before advance returns, so the next verification cannot
//      succeed until they have run and parked again: time moves one deadline at a time, never early;
//   4. idle with no deadline: if some fiber waits on a future (completed from outside the runtime, so the
//      library cannot know it will never come), do nothing until the word changes. Otherwise it is a
//      deadlock: take the dump, mark
//      every running root fiber with a DeadlockException carrying it (EffectRuntime.run then returns
//      Exit.Defect with it), and cancel every root and detached fiber; the runs return once their fibers
//      have terminated. If the same runs are found deadlocked again (their fibers wait inside uncancellable
//      regions, so the cancel could not reach them), interrupt each run's caller, which then returns the
//      DeadlockException at once, with the fibers left behind noted as suppressed: nothing hangs.
//
// Races considered. (a) A fiber woken at the same instant another parks: the waker is busy when it wakes
// (I1); the woken fiber reads as runnable at once (I2) and stays so until it parks again or leaves its wait,
// which bumps the epoch. (b) A timer firing while the clock advances: the timer thread is a participant; the
// advance wakes it, so it reads as runnable until it has fired its timers (a cancel interrupts the fiber,
// which then reads as runnable, I2) and parked again. (c) A participant between declaring its wait and
// parking: it reads RUNNABLE, so verification fails and is retried. (d) A fiber started while the driver
// verifies: the spawner was busy, and the start bumps the epoch. (e) The one window we cannot observe: a
// virtual thread unparked while it is still yielding to park is briefly recorded PARKED (with its permit
// set) before its carrier resubmits it; the yield and second check in step 2 cover it unless that carrier
// stays descheduled by the OS at exactly that instruction for the whole verification.
//
// What users must not do: wake a fiber of a TestRuntime from outside the runtime (a platform thread calling
// trySend, a future completed by real I/O) while expecting time to stand still; such wake-ups are invisible
// here, so the clock may already have moved on (ADR 0010).
final class IdleTracker {
    private static final long EPOCH = 1L << 32;
    /** {@link #verify} result: not idle (yet). */
    private static final long NOT_IDLE = Long.MIN_VALUE;
    /** {@link #verify} result: idle, and no deadline is left. */
    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final EffectRuntime runtime;
    private final TestClock clock;
    /** Busy count (low 32 bits) and epoch (high 32 bits); see the overview. */
    private final AtomicLong word = new AtomicLong();
    /** The live fibers of the runtime; a fiber is added before it counts busy and removed before it stops. */
    private final Set<Fiber> fibers = ConcurrentHashMap.newKeySet();
    /** The runtime's timer thread while one runs. */
    private volatile Thread timerThread;
    private final Thread driver;
    private volatile boolean closed;

    IdleTracker(EffectRuntime runtime, TestClock clock) {
        this.runtime = runtime;
        this.clock = clock;
        this.driver = Thread.ofVirtual().name(runtime.config().fiberNamePrefix() + "test-clock").unstarted(this::drive);
    }

    /** Starts the driver; called once the runtime is fully constructed. */
    void start() {
        driver.start();
    }

    /** Stops the driver (it ends at its next step). */
    void close() {
        closed = true;
        LockSupport.unpark(driver);
    }

    // ------------------------------------------------------------------------------------------------------
    // Accounting, called by participants

    void participantStarted(Fiber f) {
        fibers.add(f);
        word.addAndGet(EPOCH + 1);
    }

    void participantEnded(Fiber f) {
        fibers.remove(f);
        busyDown();
    }

    void timerStarted(Thread t) {
        timerThread = t;
        word.addAndGet(EPOCH + 1);
    }

    void timerEnded(Thread t) {
        if (timerThread == t) {
            timerThread = null;
        }
        busyDown();
    }

    void participantWaits() {
        busyDown();
    }

    void participantRuns() {
        word.addAndGet(EPOCH + 1);
    }

    private void busyDown() {
        if ((int) word.decrementAndGet() == 0) {
            LockSupport.unpark(driver);
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // The driver

    private void drive() {
        long handled = -1; // the word of the idle moment last acted on without waking anyone (step 4)
        int attempt = 0;
        while (!closed) {
            long w = word.get();
            if ((int) w != 0 || w == handled || runtime.roots().isEmpty()) {
                attempt = 0;
                LockSupport.park(this);
                continue;
            }
            long deadline;
            try {
                deadline = verify(w);
            } catch (Throwable t) {
                runtime.reportUnobserved("the TestRuntime's idle detector failed", t);
                deadline = NOT_IDLE;
            }
            if (deadline == NOT_IDLE) {
                backOff(attempt++);
                continue;
            }
            attempt = 0;
            if (deadline != NO_DEADLINE) {
                clock.advanceTo(deadline);
                continue;
            }
            // A cancel that reaches a fiber wakes it and changes the word; a second verdict on the same word
            // means the cancel reached nobody (uncancellable waits), and deadlock() then abandons the runs.
            if (waitsOnFuture()) {
                handled = w;
            } else {
                try {
                    if (deadlock()) {
                        handled = w;
                    }
                } catch (Throwable t) {
                    handled = w;
                    runtime.reportUnobserved("the TestRuntime's deadlock handling failed", t);
                }
            }
        }
    }

    /**
     * Step 2 of the overview: the earliest deadline if the runtime is idle ({@link #NO_DEADLINE} if it has
     * none), {@link #NOT_IDLE} otherwise.
     */
    private long verify(long w) {
        Thread timer = timerThread;
        if (!allParked(timer)) {
            return NOT_IDLE;
        }
        long deadline = Math.min(clock.nextDeadlineExcept(timer), runtime.timers.nextDeadline());
        Thread.yield(); // let a wake-up the JDK has not finished recording surface (race (e))
        if (word.get() != w || !allParked(timer) || word.get() != w || timerThread != timer) {
            return NOT_IDLE;
        }
        if (deadline != NO_DEADLINE && deadline - clock.nanoTime() <= 0) {
            return NOT_IDLE; // a sleeper already due has not run yet
        }
        return deadline;
    }

    private boolean allParked(Thread timer) {
        boolean any = false;
        for (Fiber f : fibers) {
            if (f.terminated()) {
                continue;
            }
            Thread t = f.thread;
            if (t == null || f.waitKind() == null || t.getState() != Thread.State.WAITING) {
                return false;
            }
            any = true;
        }
        return any && (timer == null || timer.getState() == Thread.State.WAITING);
    }

    private boolean waitsOnFuture() {
        for (Fiber f : fibers) {
            if (f.waitKind() == FiberDump.Activity.FUTURE) {
                return true;
            }
        }
        return false;
    }

    /**
     * Step 4: cancels the deadlocked runs, or abandons them if they were already cancelled; returns whether
     * this idle moment needs no further verdict (abandoned).
     */
    private boolean deadlock() {
        FiberDump dump = runtime.dump();
        boolean fresh = false;
        for (Fiber r : runtime.roots()) {
            fresh |= r.deadlock == null;
        }
        if (!fresh) {
            abandon(dump);
            return true;
        }
        DeadlockException ex = new DeadlockException("deadlock at " + FiberDump.format(Duration.ofNanos(clock.nanoTime()))
                + " of virtual time: every fiber waits in the library and no deadline is left"
                + " (all of them are cancelled now):\n" + dump, dump);
        for (Fiber r : runtime.roots()) {
            if (r.deadlock == null) {
                r.deadlock = ex; // before the cancel: the run that sees the cancellation reports the deadlock
                r.cancel();
            }
        }
        for (Fiber f : runtime.detachedFibers()) {
            f.cancel();
        }
        return false;
    }

    /**
     * The runs stayed deadlocked after their cancel: their fibers wait inside uncancellable regions and can
     * never end. Rather than hang, each run's caller stops waiting (the fibers are left behind, and the
     * deadlock says so).
     */
    private void abandon(FiberDump dump) {
        for (Fiber r : runtime.roots()) {
            Thread caller = r.runCaller;
            if (r.deadlock != null && !r.abandoned && caller != null) {
                r.deadlock.addSuppressed(new IllegalStateException("the deadlocked fibers could not be cancelled "
                        + "(they wait inside uncancellable regions); the run stopped waiting for them and left "
                        + "them behind:\n" + dump));
                r.abandoned = true; // before the interrupt: EffectRuntime.run reads it when interrupted
                caller.interrupt();
            }
        }
    }

    private void backOff(int attempt) {
        if (attempt < 8) {
            Thread.onSpinWait();
        } else if (attempt < 32) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(this, Math.min(1_000_000L, 1_000L << Math.min(attempt - 32, 10)));
        }
    }
}
