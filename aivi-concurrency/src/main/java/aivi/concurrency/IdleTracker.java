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
// (I2 fails for a short window, race (e) below; wake credits close it for the wake-ups that end a wait.)
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
// verifies: the spawner was busy, and the start bumps the epoch. (e) The window the state cannot show: a
// virtual thread unparked while it is still yielding to park (state PARKING) only gets its permit set; its
// carrier then records it PARKED, reads the permit and resubmits it (VirtualThread.afterYield). Between
// those two steps it reads WAITING although it is already woken, and if the OS deschedules that carrier
// there, the window lasts as long as the OS likes: longer than any verification. (A thread parked while
// pinned reads WAITING until its carrier thread has woken, the same window.) It is closed by wake credits,
// below, for the wake-ups that end a wait; the yield and second check in step 2 remain for the rest.
//
// The interleaving that fits the early moves of time seen in RandomProgramsTest (3-4 runs in 14 once a commit
// shifted the timing; seed 18000397: time ended at 5000 ms, the root's timeout, instead of 8 ms):
//   K (a race's branch) closes its scope: cancels its child C, enterWait(SCOPE) (busy 2 -> 1), parks in
//       close's wait for its children (then a Condition's awaitUninterruptibly): state PARKING, yielding;
//   C, woken by the cancel, ends: childEnded signals the wait and unlocks, which unparks K: K is PARKING,
//       so only its permit is set; C terminates and calls participantEnded (busy 1 -> 0), waking the driver;
//   K's carrier sets K PARKED and is descheduled before it reads the permit;
//   the driver verifies: every fiber (K in SCOPE, the root R joining K) reads WAITING, the word is unchanged
//       across the yield, the earliest deadline is the root's timeout: it advances the clock to 5000 ms;
//   K's carrier runs again, resubmits K, and the run ends, at 5000 ms.
// Nothing in the word said K was woken: the busy count relied on K's state alone (I2).
//
// Wake credits. A waker whose wake-up ends the wakee's wait counts the wakee busy itself, before it wakes
// it: credit(f) adds one busy (and an epoch) and one credit to f.wakeCredits; then the waker interrupts or
// unparks. So the word is non-zero from before the wake-up until the wakee takes the credit, which it does
// only while it runs: in exitWait (the credit becomes its own busy count, in one add), in enterWait (the
// count drops with it), before it parks again inside a wait (dropCredits; the wake-up was not for it), and
// when it ends (participantEnded; -1 in wakeCredits refuses later credits, whose add is undone). Credited
// wake-ups: a cancel's interrupt (Fiber.cancelRegion), a fiber's termination to its fiber joiners
// (CompletionWord.terminate), and the last child of a closing scope to the scope's owner
// (ScopeImpl.childEnded). Each waker publishes what the wake-up is about (the cancelled level, TERMINATED,
// the scope's count) before the credit, and a wakee that drops a credit re-checks what it waits for before
// it parks: so it never parks on a credit whose wake-up it has not seen, and never keeps a credit while it
// parks for good (which would stop time). The waker is busy while it credits (I1), so the count never
// touches zero in between. Not credited, and left to the state check: channel, select and permit hand-offs,
// a scope's joinAll waiters, lock hand-offs inside a wait, and the timer thread (a woken timer thread only
// fires timers that are due, and the driver never advances while a timer is due: step 2). TestClock's own
// lock spins, so its sleepers never park for it inside their waits.
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
        busyDown(1 + f.endWakeCredits()); // and the credits nobody used: a credit after this is undone (credit)
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

    /** The timer thread is about to park (no fiber: nobody credits it, see the overview). */
    void timerWaits() {
        busyDown();
    }

    /** The timer thread returned from its park. */
    void timerRuns() {
        word.addAndGet(EPOCH + 1);
    }

    /** {@code f} enters a library wait (its outermost one): it stops counting busy, with its credits. */
    void participantWaits(Fiber f) {
        busyDown(1 + f.takeWakeCredits());
    }

    /**
     * {@code f} leaves its library wait: busy again. Its credits, if any, already count it busy, so the first
     * is turned into the fiber's own count and the rest dropped, in one add: the count never touches zero here.
     */
    void participantRuns(Fiber f) {
        java.util.function.Consumer<Fiber> hook = beforeRuns;
        if (hook != null) {
            hook.accept(f);
        }
        int n = f.takeWakeCredits();
        word.addAndGet(EPOCH + 1 - n);
    }

    /**
     * Counts {@code f} busy on behalf of a wake-up about to be sent to it (a cancel's interrupt, a join's
     * unpark, a scope's last child ending): called by the waker after it has published what the wake-up is
     * about (the cancelled level, TERMINATED, the scope's count) and before the interrupt or unpark. Any
     * thread. A fiber that has ended takes no credit (the add is undone).
     */
    void credit(Fiber f) {
        word.addAndGet(EPOCH + 1); // first: the count stays above zero while the fiber's credits change
        if (!f.addWakeCredit()) {
            busyDown();
        }
    }

    /**
     * {@code f}, still inside a wait, is about to park again (the wake-up was not the one it waits for): it
     * gives back its credits. Returns whether it had any; the caller must then re-check what it waits for
     * before it parks, since the wake-up a credit announced may not have been sent yet.
     */
    boolean dropCredits(Fiber f) {
        int n = f.takeWakeCredits();
        if (n == 0) {
            return false;
        }
        busyDown(n);
        return true;
    }

    private void busyDown() {
        busyDown(1);
    }

    private void busyDown(int n) {
        if ((int) word.addAndGet(-n) == 0) {
            LockSupport.unpark(driver);
        }
    }

    /** The busy count (low half of the word); for tests. */
    int busy() {
        return (int) word.get();
    }

    /**
     * Tests only: runs on a fiber's thread as it leaves a library wait, before it counts busy again, so a test
     * can hold a woken fiber in the state the JDK may leave it in briefly after an unpark (see (e) above).
     */
    volatile java.util.function.Consumer<Fiber> beforeRuns;

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
