package aivi.concurrency;

import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import aivi.concurrency.internal.SpinLock;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A fiber: one effect being interpreted on its own virtual thread.
 */
// The level stack is guarded by the inherited SpinLock (the lock word lives in the fiber: no allocation).
final class Fiber extends CompletionWord implements Runnable {
    // Implementation overview (not public documentation).
    //
    // Cancellation levels. A fiber keeps a small stack of levels, owned and mutated only by its own thread. A
    // level is either a Region (a part of the fiber's execution that can be cancelled on its own: the whole fiber
    // at index 0, a scope body, the effect under a timeoutWith, the left branch of par/race) or the MASK marker of
    // an uncancellable region. The fiber is effectively cancelled when some cancelled region lies above the
    // innermost mask: a mask shields what runs inside it from every cancellation requested outside it (from
    // regions below it), but regions opened inside the mask can still be cancelled (Trio's shielded cancel scopes
    // work the same way).
    //
    // Who writes what. Region.cancelled is written by any thread (the canceller) and read by the fiber;
    // cancelSignal is a cheap "some region of mine may be cancelled" hint the run loop reads once per step, so the
    // fast path costs one volatile load. The level stack itself is written only by the fiber thread, always under
    // the fiber's SpinLock (its lock word, released by a volatile write in a finally, so no throw can leave it
    // held; a ReentrantLock here was left held after a stack overflow at its unlock, and the next cancel hung);
    // cancellers read it under the same lock.
    //
    // Lazy state. Most fibers run a short effect that never opens a region or a mask and is never cancelled, so
    // the level array is created on first use: levels stays null while the stack holds only rootRegion (it is
    // created, under the lock, by the first push). A push builds the new array before installing it and moves top
    // last, and a pop restores the stack to below the level it pops, so a throw between a push and its pop (out of
    // memory, a stack overflow) cannot leave the stack corrupt.
    //
    // Interrupt delivery. The thread's interrupt flag is only a wake-up call that gets a fiber out of a blocking
    // JDK call; the truth is the level stack. A canceller marks the region and, still under the lock, interrupts the
    // thread only if no mask lies above that region. Because masks are pushed under the same lock, the decision
    // "interrupt now" cannot race with the fiber entering an uncancellable region: either the canceller runs first
    // (and pushing the mask then clears the stale interrupt flag) or the mask is already visible to it (and no
    // interrupt is sent). Hence code inside an uncancellable region or a finalizer never sees an interrupt caused
    // by this library. When a region is popped, an interrupt it caused is cleared unless the fiber is still
    // effectively cancelled, so the flag never leaks past the region.
    //
    // Completion. complete publishes exit (a volatile write), decrements the runtime's live count, tells the
    // owning scope (which records a failure before anyone can observe the fiber as terminated), runs the internal
    // completion callback and finally terminates the fiber: it swaps the completion word waiters to TERMINATED and
    // unparks every thread that was waiting. Everyone waiting for the fiber waits for that word (FiberTask
    // included: a non-null exit alone does not mean terminated), so "terminated" always means "exit published, no
    // longer live, owner informed". The live count drops before the owner is told because a scope's close waits
    // for its owner-side count of running children, not for each child's termination: so when a scope (or run())
    // returns, no child it waited for still counts as live.
    //
    // The completion word (waiters, TERMINATED, the waiter stack and its sweep) lives in the superclass
    // CompletionWord, which has its own overview; a superclass rather than a field, so a fiber stays one object.

    /** The marker level of an uncancellable region. */
    static final Object MASK = new Object();

    /** A cancellable part of a fiber's execution. */
    static final class Region {
        final Fiber fiber;
        /** Written by cancellers (under the fiber's lock), read by the fiber. */
        volatile boolean cancelled;
        /** The index in the level stack while pushed; written under the fiber's lock. */
        int index = -1;
        /**
         * Set by the fiber, with a plain field write, just before it pops the region: from then on a cancel is a
         * no-op and the region no longer counts in {@link #effectivelyCancelled}, even if the pop itself is cut
         * short by a throw (a stack overflow at its entry), which leaves the region on the stack until RunLoop
         * restores it. Without it, such a leftover region, cancelled before (a race the branch lost) or after (a
         * late onDone, a timer), cancelled whatever the fiber ran next. Volatile: cancellers read it
         * under the fiber's lock, but the fiber writes it outside.
         */
        volatile boolean ended;

        Region(Fiber fiber) {
            this.fiber = fiber;
        }
    }

    final EffectRuntime runtime;
    final Effect<?, ?> effect;
    /** The scope this fiber is a child of, or {@code null} for a root or internal fiber. */
    final ScopeImpl parent;
    /** Called with the exit before the fiber terminates; may be {@code null}. */
    private final Consumer<Exit<?, ?>> onDone;
    final Region rootRegion;


    private static final VarHandle WAIT_KIND;
    private static final VarHandle WAIT_SINCE;
    private static final VarHandle WAKE_CREDITS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WAIT_KIND = l.findVarHandle(Fiber.class, "waitKind", FiberDump.Activity.class);
            WAIT_SINCE = l.findVarHandle(Fiber.class, "waitSince", long.class);
            WAKE_CREDITS = l.findVarHandle(Fiber.class, "wakeCredits", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }


    /** Set before the thread starts (happens-before by {@link Thread#start}); read by cancellers under lock. */
    Thread thread;

    // Stack depth at a spawn. Thread.start of a virtual thread is not safe against a stack overflow (see start),
    // so a spawn from a stack of unknown depth first probes that the stack can take a chain deeper than the
    // start's: about 100 ns, most of a spawn's cost over a raw thread's. The probe is needed only when the depth
    // is unknown. loopNesting counts the run loops active on this fiber's thread (RunLoop.run saves it, adds one
    // and puts the saved value back), and Direct.runBody sets it to DEEP_STACK for as long as a gen block's body,
    // which is user code of any depth, is on the stack. Every other frame between the fiber's base (Fiber.run, at
    // the bottom of its own thread) and a step is a library frame of bounded depth: the loop, a step, and the
    // library constructs that run nested loops (scopes, brackets, finalizers, retries). User callbacks called by
    // the loop (map and flatMap functions, thunks) return before the next step runs, and cannot run a step
    // themselves. So a step that runs while loopNesting <= SHALLOW_NESTING is within a few kilobytes of the
    // thread's base, and its spawn needs no probe. Fiber thread only, plain field. The save/restore pairs are
    // strictly nested; a throw that skips a restore leaves the value higher, never lower, than the true nesting,
    // which only costs a probe, and the enclosing restore repairs it.
    /** Run loops active on this fiber's thread, or {@link #DEEP_STACK} and above inside a gen body. */
    int loopNesting;
    /** {@link #loopNesting} while user frames of unknown depth are on this fiber's stack. */
    static final int DEEP_STACK = 1 << 20;
    /** The deepest {@link #loopNesting} at which a spawn skips the stack probe (see {@link #start}). */
    static final int SHALLOW_NESTING = 4;
    /** The outcome; written once by the fiber before it terminates. */
    volatile Exit<?, ?> exit;
    /** Someone joined or awaited this fiber, so its failure was observed. */
    volatile boolean observed;

    /**
     * Set by the spawner when starting this fiber's thread threw, so no thread will ever run it; the scope then
     * unlinks it instead of waiting for it (see {@link ScopeImpl#start}). Volatile: the scope reads it under its
     * lock, but the spawner may have failed before it could take that lock.
     */
    volatile boolean startFailed;

    /**
     * Scopes of this fiber whose close threw before their children had ended, linked through
     * {@link ScopeImpl#nextDeferred}; closed by {@link #closeDeferred} before the fiber completes. Fiber thread
     * only, plain field writes (they must not fail where the close just failed).
     */
    ScopeImpl deferredCloses;
    /** See the class comment: true once any region of this fiber has been cancelled and not yet popped. */
    volatile boolean cancelSignal;

    /** The level stack, {@code levels[0..top]}; {@code null} while it holds only {@link #rootRegion}. */
    private Object[] levels;
    /** The index of the innermost level; package-private for RunLoop's balance check. Fiber thread writes. */
    int top;

    /**
     * The scopes opened on this fiber, innermost last; owned by the fiber thread. A {@code null} entry is a
     * branch scope (of a {@code par}/{@code race} branch or a timed effect) not created yet: it is created
     * on the first spawn, with the region from {@link #scopeRegions} at the same index, so a branch that
     * spawns nothing pays nothing.
     */
    private ScopeImpl[] scopes;
    private Region[] scopeRegions;
    /** The number of scope entries; package-private for RunLoop's balance check. Fiber thread only. */
    int scopeCount;
    /** The implicit scope of everything this fiber spawns outside an explicit scope; created lazily. */
    private ScopeImpl rootScope;

    /**
     * The {@link FiberLocal} values, an immutable array of pairs (see {@link FiberLocals}); read and replaced
     * only by this fiber's thread, and by the starting thread before {@link Thread#start}.
     */
    Object[] locals = FiberLocals.EMPTY;
    /**
     * The snapshots of the runtime's context propagators taken in {@link #start}, or a {@link Throwable} a
     * propagator threw there; {@code null} without propagators. Written before {@link Thread#start}.
     */
    private Object context;

    /**
     * For a {@code par}/{@code race} branch on a fiber of its own, the fiber that started it (it has no
     * {@link #parent} scope); set before the thread starts. See {@link #enclosing()}.
     */
    Fiber forkedFrom;

    /**
     * The detached-tree fiber running on the current thread, if any: set (only) for fibers that run
     * inside a detached task, so that {@link EffectRuntime#close()} can refuse to wait for itself.
     */
    static final ThreadLocal<Fiber> INSIDE_DETACHED = new ThreadLocal<>();

    /** Sibling links in {@link #parent}'s list of children; guarded by the parent's lock. */
    Fiber prevSibling;
    Fiber nextSibling;

    /** A root fiber of {@link EffectRuntime#run} and its kin; set before {@link #start}. */
    boolean root;
    /** Set by a {@code TestRuntime} that found this root fiber's run deadlocked, before it cancels the run. */
    volatile DeadlockException deadlock;
    /**
     * Set by a {@code TestRuntime} when the run stayed deadlocked after the cancel (its fibers wait inside
     * uncancellable regions): the caller of {@code run} stops waiting for them. Then {@link #runCaller} is
     * interrupted.
     */
    volatile boolean abandoned;
    /** The thread waiting in {@code EffectRuntime.run} for this root, on a {@code TestRuntime}'s runtime only. */
    volatile Thread runCaller;

    // Library waits (see "Library waits" above blockFor). waitKind is written only by the fiber thread,
    // with release stores (WAIT_KIND.setRelease) after the plain stores of waitOn and waitSince, and read by
    // dumps and the idle detector with acquire loads, so a reader that sees a kind sees what it waits on.
    @SuppressWarnings("unused") // accessed through WAIT_KIND
    private volatile FiberDump.Activity waitKind;
    private Object waitOn;
    /** System.nanoTime() at the start of the wait, or 0 until a dump first sees it (see enterWait). */
    @SuppressWarnings("unused") // accessed through WAIT_SINCE
    private long waitSince;

    /**
     * On a TestRuntime only: wake-ups sent to this fiber that count it busy until it has taken them (see
     * IdleTracker, "Wake credits"); -1 once the fiber has ended. Updated only through {@link #WAKE_CREDITS}.
     */
    @SuppressWarnings("unused") // accessed through WAKE_CREDITS
    private volatile int wakeCredits;

    /** The branches of {@code par}/{@code race} running on other fibers, innermost first; for dumps. */
    private volatile Branches branches;

    /** A {@code par}/{@code race}'s child fibers, linked to the enclosing ones on the same fiber. */
    record Branches(Fiber[] kids, Branches outer) {
    }

    Fiber(EffectRuntime runtime, Effect<?, ?> effect, ScopeImpl parent, Consumer<Exit<?, ?>> onDone) {
        this.runtime = runtime;
        this.effect = effect;
        this.parent = parent;
        this.onDone = onDone;
        this.rootRegion = new Region(this);
        rootRegion.index = 0;
    }


    /**
     * Creates the thread and starts it; the runtime has already counted this fiber as live. Runs on the
     * starting thread: {@code spawner} (the starting fiber, or {@code null} for a root fiber) hands over its
     * fiber-local values, and the runtime's context propagators capture here (see "Context" below).
     */
    void start(Fiber spawner) {
        if (spawner != null) {
            locals = spawner.locals;
        }
        captureContext();
        Thread t = runtime.newThread(this, Named.nameOf(effect));
        thread = t;
        IdleTracker idle = runtime.idle;
        if (idle != null) {
            idle.participantStarted(this); // counted busy before it can run (see IdleTracker)
        }
        try {
            // The JDK's Thread.start of a virtual thread is not safe against a stack overflow: one that strikes
            // after the thread's state changed and before the scheduler has it leaves the thread RUNNABLE in name
            // and never run, and whoever joins it waits for ever (seen in StackOverflowAtCallSitesTest: a race
            // whose branch never started). Make sure first that the stack can take a call chain deeper than the
            // start's (as the timer queue does before it starts or wakes its thread); if not, this throws here,
            // before anything of the thread changed, and the start fails cleanly.
            // The probe is skipped when the spawner is a fiber running a step at a known, shallow depth (see
            // loopNesting).
            if (spawner == null || spawner.loopNesting > SHALLOW_NESTING || spawner.thread != Thread.currentThread()) {
                Timers.probeStack(Timers.STACK_PROBE_DEPTH);
            }
            t.start();
        } catch (Throwable e) {
            if (idle != null) {
                idle.participantEnded(this); // no thread will run it: it must not keep the runtime busy
            }
            throw e;
        }
    }

    /**
     * The fiber this one runs inside of: the owner of its scope, or the fiber whose {@code par}/{@code race}
     * started it; {@code null} for a root fiber or a detached one. That fiber cannot terminate before this
     * one has.
     */
    Fiber enclosing() {
        return parent != null ? parent.owner : forkedFrom;
    }

    /** Whether this fiber is {@code target} or runs inside it, transitively (so it outlives {@code target}'s end). */
    boolean isInside(Fiber target) {
        for (Fiber f = this; f != null; f = f.enclosing()) {
            if (f == target) {
                return true;
            }
        }
        return false;
    }

    /** Whether this fiber is a detached task or runs inside one. */
    private boolean insideDetached() {
        for (Fiber f = this; f != null; f = f.enclosing()) {
            if (f.parent != null && f.parent.owner == null) {
                return true; // only the runtime's detached scope has no owner
            }
        }
        return false;
    }

    @Override
    public void run() {
        // Counted here, on the fiber's own thread, rather than by the spawner: a start that throws (out of memory,
        // a stack overflow deep in Thread.start) then counts nothing and needs no undo that could fail in turn.
        runtime.fiberStarted();
        Exit<?, ?> result = null;
        try {
            if (insideDetached()) {
                INSIDE_DETACHED.set(this);
            }
            Throwable contextProblem = restoreContext();
            result = contextProblem == null ? RunLoop.run(this, effect) : Exit.defect(contextProblem);
        } catch (Throwable t) {
            result = Exit.defect(t);
        } finally {
            // Whatever threw above, the fiber's children are awaited and the fiber completes: a fiber that never
            // completes would hang every joiner and its scope's close.
            try {
                if (rootScope != null) {
                    pushMask();
                    try {
                        result = rootScope.close(result);
                    } finally {
                        popMask();
                    }
                }
            } catch (Throwable t) {
                result = Exit.defect(t); // out of memory while closing: complete anyway, or every joiner hangs
            } finally {
                closeDeferred();
                complete(result);
            }
        }
    }

    /**
     * Closes the scopes whose close threw on this fiber (a stack overflow deep inside it, see
     * {@link Structured#scope}); runs at the bottom of the fiber's stack, where there is room. Their outcome was
     * already decided (the defect the failed close threw), so what this close returns is dropped.
     */
    private void closeDeferred() {
        for (ScopeImpl s = deferredCloses; s != null; s = s.nextDeferred) {
            try {
                pushMask();
                try {
                    s.close(RunLoop.cancelled());
                } finally {
                    popMask();
                }
            } catch (Throwable t) {
                runtime.reportUnobserved("closing a scope whose close had failed failed again", t);
            }
        }
        deferredCloses = null;
    }

    private void complete(Exit<?, ?> result) {
        exit = result;
        // Before the owner is told: see "Completion" in the class comment.
        runtime.fiberEnded();
        try {
            if (parent != null) {
                parent.childEnded(this, result);
            }
            if (onDone != null) {
                onDone.accept(result);
            }
        } catch (Throwable t) {
            runtime.reportUnobserved("fiber completion callback failed", t);
        } finally {
            terminate();
            if (root) {
                runtime.rootEnded(this);
            }
            IdleTracker idle = runtime.idle;
            if (idle != null) {
                idle.participantEnded(this); // only now: every waiter this fiber woke is already unparked
            }
        }
    }


    // ---------------------------------------------------------------------------------------------------
    // Context
    //
    // ContextPropagators capture on the starting thread (start) and restore on the fiber's thread before the
    // effect runs (run). The snapshots travel in a plain field written before Thread.start, which orders the
    // write before everything the new thread does. With no propagator configured this costs one list-size
    // check per fiber. A propagator that throws is never swallowed: the new fiber ends with that exception as
    // its defect before any user effect ran, and the defect travels like any other (scope, joiner, run()'s
    // caller, or the runtime's error handler for a detached fiber).

    private void captureContext() {
        java.util.List<ContextPropagator> ps = runtime.config().contextPropagators();
        int n = ps.size();
        if (n == 0) {
            return;
        }
        Object[] snapshots = new Object[n];
        try {
            for (int i = 0; i < n; i++) {
                snapshots[i] = ps.get(i).capture();
            }
            context = snapshots;
        } catch (Throwable t) {
            context = t;
        }
    }

    /** Restores the captured context on this fiber's thread; returns what a propagator threw, if it did. */
    private Throwable restoreContext() {
        Object c = context;
        if (c == null) {
            return null;
        }
        context = null;
        if (c instanceof Throwable t) {
            return t;
        }
        Object[] snapshots = (Object[]) c;
        java.util.List<ContextPropagator> ps = runtime.config().contextPropagators();
        try {
            for (int i = 0; i < snapshots.length; i++) {
                ps.get(i).restore(snapshots[i]);
            }
        } catch (Throwable t) {
            return t;
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------------
    // Cancellation levels

    /** True if some cancelled region lies above the innermost mask. Called by the fiber thread. */
    boolean effectivelyCancelled() {
        return cancelSignal && scanCancelled();
    }

    private boolean scanCancelled() {
        Object[] ls = levels;
        if (ls == null) {
            return rootRegion.cancelled;
        }
        for (int i = top; i >= 0; i--) {
            Object level = ls[i];
            if (level == MASK) {
                return false;
            }
            Region r = (Region) level;
            if (r.cancelled && !r.ended) { // an ended region is over: only a cut-short pop leaves it here
                return true;
            }
        }
        return false;
    }

    /** Opens a cancellable region on this fiber. Fiber thread only. */
    Region pushRegion() {
        Region r = new Region(this);
        pushRegion(r);
        return r;
    }

    /** A region of this fiber, not yet pushed: allocate before pushing, so nothing between can fail. */
    Region newRegion() {
        return new Region(this);
    }

    /** Opens {@code r}, made by {@link #newRegion}; atomic: if it throws, nothing was pushed. Fiber thread only. */
    void pushRegion(Region r) {
        lock();
        try {
            push(r);
            r.index = top;
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /** Closes the innermost region, which must be {@code r}. Fiber thread only. */
    void popRegion(Region r) {
        lock();
        try {
            if (r.index < 1 || r.index > top || levels[r.index] != r) {
                return; // never pushed: its push threw before it took effect
            }
            // Pops r and anything a throw left above it (a level whose pop was cut short), so the stack is
            // restored to what it was before r was pushed.
            popToLocked(r.index - 1);
            if (r.cancelled) {
                boolean any = false;
                for (int i = top; i >= 0; i--) {
                    if (levels[i] instanceof Region other && other.cancelled) {
                        any = true;
                        break;
                    }
                }
                cancelSignal = any;
                if (!scanCancelled()) {
                    Thread.interrupted(); // the wake-up this region caused must not leak past it
                }
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /**
     * Restores the level stack to {@code levelTop} and the scope stack to {@code scopes} entries, after a throw
     * cut a pop short (a stack overflow at the entry of a pop in a finally strikes at the same depth as the
     * throw that led there). Called by {@link RunLoop#run} on return, which is shallower than the failed pop,
     * whenever the stacks are not as they were when it started. Popped regions can no longer be cancelled.
     * Fiber thread only.
     */
    void restoreStacks(int levelTop, int scopes) {
        while (scopeCount > scopes) {
            popScope();
        }
        lock();
        try {
            popToLocked(levelTop);
            if (!scanCancelled()) {
                Thread.interrupted(); // a wake-up a popped region caused must not leak past it
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /** Enters an uncancellable region. Fiber thread only. */
    void pushMask() {
        lock();
        try {
            push(MASK);
            if (cancelSignal) {
                Thread.interrupted(); // a wake-up sent before the mask became visible: discard it
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /** Leaves the innermost uncancellable region. Fiber thread only. */
    void popMask() {
        lock();
        try {
            // Pops the innermost mask and anything a throw left above it (a region whose pop was cut short).
            int i = top;
            while (i > 0 && levels[i] != MASK) {
                i--;
            }
            popToLocked(Math.max(i - 1, 0));
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /**
     * Under the lock: pops every level above {@code newTop}. A popped region gets index -1, so a later cancel of
     * it is a no-op. The one place that pops levels: the normal pops and the repairs after a cut-short pop.
     */
    private void popToLocked(int newTop) {
        while (top > newTop) {
            if (levels[top] instanceof Region r) {
                r.index = -1;
            }
            levels[top--] = null;
        }
    }

    private void push(Object level) {
        // Atomic with respect to a throw (an OutOfMemoryError in the allocations, a StackOverflowError at the
        // copy): the array is complete before it is installed, and top moves last, so a throw leaves the stack
        // as it was. (Incrementing top before the copy left it one past a too-short array: the next push threw
        // ArrayIndexOutOfBoundsException for the rest of the fiber's life.)
        Object[] ls = levels;
        if (ls == null) {
            ls = new Object[4];
            ls[0] = rootRegion;
        }
        int t = top + 1;
        if (t == ls.length) {
            ls = java.util.Arrays.copyOf(ls, t * 2);
        }
        ls[t] = level;
        levels = ls;
        top = t;
    }

    /** Requests cancellation of the whole fiber. Any thread; does not wait. */
    void cancel() {
        cancelRegion(rootRegion);
    }

    /** Requests cancellation of {@code r} (a region of this fiber). Any thread; does not wait. */
    void cancelRegion(Region r) {
        lock();
        try {
            if (r.cancelled || r.ended) {
                return;
            }
            r.cancelled = true;
            int i = r.index;
            Object[] ls = levels;
            Object atIndex = i < 0 || i > top ? null : ls == null ? rootRegion : ls[i]; // ls == null: top == 0
            if (atIndex != r) {
                // Already popped (a region is pushed before anyone can see it): nothing to cancel any more,
                // and raising cancelSignal would only send the run loop down its slow path.
                return;
            }
            cancelSignal = true;
            for (int j = i + 1; j <= top; j++) {
                if (ls[j] == MASK) {
                    return; // shielded: the run loop will notice once the mask is popped
                }
            }
            Thread t = thread;
            if (t != null && t != Thread.currentThread()) {
                IdleTracker idle = runtime.idle;
                if (idle != null) {
                    idle.credit(this); // after cancelSignal, before the wake-up (see IdleTracker, "Wake credits")
                }
                t.interrupt();
            }
        } finally {
            lock = 0; // release: a volatile write, which no throw can skip (see SpinLock)
        }
    }

    /** Registers the child fibers of a {@code par}/{@code race} on this fiber, for dumps. Fiber thread only. */
    void pushBranches(Fiber[] kids) {
        branches = new Branches(kids, branches); // volatile store: a dump sees the array (its slots fill later)
    }

    /** Drops the innermost {@link #pushBranches} entry once its fibers have terminated. Fiber thread only. */
    void popBranches() {
        branches = branches.outer();
    }

    // ---------------------------------------------------------------------------------------------------
    // Scopes

    void pushScope(ScopeImpl s) {
        pushScope(s, null);
    }

    /** Opens a branch scope whose children fail {@code region}; created lazily, see {@link #scopes}. */
    void pushLazyScope(Region region) {
        pushScope(null, region);
    }

    private void pushScope(ScopeImpl s, Region region) {
        if (scopes == null) {
            scopes = new ScopeImpl[4];
            scopeRegions = new Region[4];
        } else if (scopeCount == scopes.length) {
            scopes = java.util.Arrays.copyOf(scopes, scopeCount * 2);
            scopeRegions = java.util.Arrays.copyOf(scopeRegions, scopeCount * 2);
        }
        scopes[scopeCount] = s;
        scopeRegions[scopeCount++] = region;
    }

    void popScope(ScopeImpl s) {
        assert scopes[scopeCount - 1] == s;
        popScope();
    }

    /** Closes the innermost scope entry; returns its scope, or {@code null} if a lazy one was never created. */
    ScopeImpl popScope() {
        ScopeImpl s = scopes[--scopeCount];
        scopes[scopeCount] = null;
        scopeRegions[scopeCount] = null;
        return s;
    }

    /** The scope a {@code Concurrency.spawn} on this fiber attaches to. Fiber thread only. */
    ScopeImpl innermostScope() {
        if (scopeCount > 0) {
            ScopeImpl s = scopes[scopeCount - 1];
            if (s == null) {
                s = new ScopeImpl(runtime, this, scopeRegions[scopeCount - 1], true);
                scopes[scopeCount - 1] = s;
            }
            return s;
        }
        if (rootScope == null) {
            rootScope = new ScopeImpl(runtime, this, rootRegion, true);
        }
        return rootScope;
    }

    // ---------------------------------------------------------------------------------------------------
    // Waiting

    /** A blocking call that answers a wake-up with {@link InterruptedException}, having done nothing then. */
    @FunctionalInterface
    interface Interruptible<T> {
        T call() throws InterruptedException;
    }

    // Library waits.
    //
    // Every wait of the library on a fiber (sleep, retry delays, join/await/cancel of a task, a par/race
    // waiting for its branches, scope close and joinAll, send, recv, select, futures) runs between
    // enterWait and exitWait, which record what the fiber waits on (kind, object, since when) for dumps and
    // tell the runtime's IdleTracker, if it has one (a TestRuntime's), that the fiber stopped or resumed
    // counting as busy. A fiber blocked anywhere else (real I/O, Thread.sleep, a JDK lock, user code) never
    // declared a wait and so counts as busy: time on a TestRuntime stands still while it is blocked there.
    //
    // Cost on the hot path: two plain (opaque) stores and one release store on entry, a release store and a
    // plain store on exit, and a load of the final field runtime.idle that is null on every runtime but a
    // TestRuntime's. No allocation, no shared write. The start time is read (System.nanoTime()) only for the
    // waits that are slow anyway (sleep, scope, future); join, send, recv and select are the hand-offs of
    // hot loops, and System.nanoTime() can cost hundreds of nanoseconds on virtualized machines (measured:
    // 300-900 ns in our CI sandbox), so their start is stamped by the first dump that sees the wait (a CAS
    // from 0), and dumps show how long they have waited since then.
    //
    // Nesting: a wait started inside another (a wait inside a library callback) keeps the outer record;
    // enterWait returns false and the matching exitWait does nothing.

    /**
     * Records that this fiber enters a library wait on {@code on}. Fiber thread only.
     *
     * @return whether this is the outermost wait (pass it to {@link #exitWait})
     */
    boolean enterWait(FiberDump.Activity kind, Object on) {
        if (WAIT_KIND.getOpaque(this) != null) {
            IdleTracker idle = runtime.idle;
            if (idle != null) {
                idle.dropCredits(this); // about to wait inside the outer wait: a credit must not keep it busy
            }
            return false;
        }
        waitOn = on;
        WAIT_SINCE.setOpaque(this, stampsOnEntry(kind) ? System.nanoTime() : 0L);
        WAIT_KIND.setRelease(this, kind); // publishes waitOn and waitSince to readers that see the kind
        IdleTracker idle = runtime.idle;
        if (idle != null) {
            idle.participantWaits(this);
        }
        return true;
    }

    /** Ends the wait {@link #enterWait} started, if it returned {@code true}. Fiber thread only. */
    void exitWait(boolean outermost) {
        if (!outermost) {
            return;
        }
        IdleTracker idle = runtime.idle;
        if (idle != null) {
            idle.participantRuns(this); // busy again before the record is cleared: never idle in between
        }
        WAIT_KIND.setRelease(this, null);
        waitOn = null;
    }

    /** Whether a wait of {@code kind} reads the time on entry (see "Cost on the hot path" above). */
    private static boolean stampsOnEntry(FiberDump.Activity kind) {
        return kind == FiberDump.Activity.SLEEP || kind == FiberDump.Activity.SCOPE
                || kind == FiberDump.Activity.FUTURE;
    }

    // Wake credits (TestRuntime only; see IdleTracker, "Wake credits"). A waker adds one before it wakes this
    // fiber; the fiber takes them all when it enters or leaves a wait, gives them back before it parks again
    // inside one (dropWakeCredits, then re-checks), and they go with it when it ends (-1: no more credits).

    /** Adds a credit unless the fiber has ended; returns whether it did. Any thread. */
    boolean addWakeCredit() {
        int c = (int) WAKE_CREDITS.getVolatile(this);
        for (;;) {
            if (c < 0) {
                return false;
            }
            int witness = (int) WAKE_CREDITS.compareAndExchange(this, c, c + 1);
            if (witness == c) {
                return true;
            }
            c = witness;
        }
    }

    /** Takes every credit (the fiber runs, so it has not ended). Fiber thread only. */
    int takeWakeCredits() {
        return (int) WAKE_CREDITS.getVolatile(this) == 0 ? 0 : (int) WAKE_CREDITS.getAndSet(this, 0);
    }

    /** Takes the credits for good: the fiber has ended. Returns how many there were. */
    int endWakeCredits() {
        return Math.max(0, (int) WAKE_CREDITS.getAndSet(this, -1));
    }

    /**
     * About to park again inside a wait: gives back this fiber's credits; returns whether it had any (then
     * the caller re-checks what it waits for first). Fiber thread only.
     */
    boolean dropWakeCredits() {
        IdleTracker idle = runtime.idle;
        return idle != null && idle.dropCredits(this);
    }

    /** This fiber as the one a join's wake-up credits, on a TestRuntime; {@code null} elsewhere. */
    private Fiber creditTarget() {
        return runtime.idle != null ? this : null;
    }

    /** What this fiber waits on now, or {@code null} while it runs (acquire load). Any thread. */
    FiberDump.Activity waitKind() {
        return (FiberDump.Activity) WAIT_KIND.getAcquire(this);
    }

    /**
     * Runs the blocking call {@code op} on this fiber until it returns, or until this fiber is effectively
     * cancelled: the one place where a library wait turns a wake-up into cancellation (ADR 0001). After an
     * interrupt the call is retried if this fiber is not cancelled (a stray interrupt; the throw cleared the
     * flag), and ends {@code Cancelled} if it is. The fiber counts as waiting on {@code kind} and {@code on}
     * meanwhile (dumps, {@code TestRuntime}). Fiber thread only.
     *
     * @param kind what kind of wait this is (never {@link FiberDump.Activity#RUNNING}); futures use
     *             {@link FiberDump.Activity#FUTURE}
     * @param on   what is waited on, shown in dumps (a channel, a task, a future), or {@code null}
     * @return {@code Success} with what {@code op} returned, or {@code Cancelled}
     */
    <E, T> Exit<E, T> blockFor(FiberDump.Activity kind, Object on, Interruptible<T> op) {
        boolean outermost = enterWait(kind, on);
        try {
            for (;;) {
                if (effectivelyCancelled()) {
                    return RunLoop.cancelled();
                }
                try {
                    return Exit.success(op.call());
                } catch (InterruptedException e) {
                    // the flag is now clear: loop to tell a cancellation from a stray interrupt. A stray one gives
                    // back its credit; op re-checks what it waits for before it parks again
                    if (!effectivelyCancelled()) {
                        dropWakeCredits();
                    }
                }
            }
        } finally {
            exitWait(outermost);
        }
    }

    /**
     * Parks this fiber until {@code deadline} on {@code clock} (the one timed-sleep loop, behind
     * {@code sleep} and the delays of {@code retry}). Returns {@code true} once the deadline has passed,
     * {@code false} as soon as this fiber is effectively cancelled. The interrupt flag is only a wake-up
     * call: the levels say whether we are cancelled. Recorded as a {@code SLEEP} library wait on
     * {@code what} (for dumps and the idle detector). Fiber thread only.
     */
    boolean sleepUntil(Clock clock, long deadline, Object blocker, Object what) {
        boolean outermost = enterWait(FiberDump.Activity.SLEEP, what);
        try {
            for (;;) {
                if (effectivelyCancelled()) {
                    return false;
                }
                if (clock.nanoTime() - deadline >= 0) {
                    return true;
                }
                if (dropWakeCredits()) {
                    continue; // re-check: the wake-up a credit announced may not have arrived yet
                }
                clock.parkUntil(blocker, deadline);
                Thread.interrupted(); // a wake-up only
            }
        } finally {
            exitWait(outermost);
        }
    }

    /**
     * {@link #sleepUntil} on the system clock, waiting untimed: a timer on the runtime's queue unparks this
     * thread at {@code deadline}. Returns {@code true} once it fired, {@code false} if cancelled first.
     * Fiber thread only.
     */
    // Why not parkNanos: the JDK cancels a virtual thread's timed park (an interrupt) by removing its entry from
    // the JDK's own timer queues, and that grows faster than linearly when a million sleepers are cancelled at
    // once; an untimed park is ended by the interrupt alone, and our queue removes the timer in O(log n)
    // (Timers.remove). States: the timer is PENDING until the timer thread fires it (and unparks us) or we
    // cancel it on the way out (it leaves the heap). The loop re-checks both after every wake-up, so a spurious
    // unpark, a stray interrupt or an unpark that lands before the park (the permit stays set) costs one turn.
    // The timer fires after the timer thread saw the clock pass the deadline, so a sleep that returns true slept
    // at least its duration.
    boolean sleepOnTimers(long deadline, Object blocker, Object what) {
        Thread me = Thread.currentThread();
        boolean outermost = enterWait(FiberDump.Activity.SLEEP, what);
        Timer timer = null;
        try {
            if (effectivelyCancelled()) {
                return false;
            }
            timer = runtime.timers.schedule(deadline, () -> LockSupport.unpark(me));
            for (;;) {
                if (effectivelyCancelled()) {
                    return false;
                }
                if (timer.fired()) {
                    return true;
                }
                LockSupport.park(blocker);
                Thread.interrupted(); // a wake-up only: the levels say whether we are cancelled
            }
        } finally {
            if (timer != null) {
                timer.cancel(); // a no-op once fired; otherwise it leaves the heap
            }
            exitWait(outermost);
        }
    }

    /**
     * Blocks the calling fiber (this one) until {@code target} has terminated, or until this fiber is
     * effectively cancelled; returns {@code true} if terminated, {@code false} if cancelled. The same as
     * {@link #blockFor} waiting on {@code target}, without allocating a lambda or an exit. Fiber thread only.
     */
    boolean blockUntilTerminated(Fiber target) {
        if (target.terminated()) {
            return true;
        }
        boolean outermost = enterWait(FiberDump.Activity.JOIN, target);
        try {
            for (;;) {
                if (target.terminated()) {
                    return true;
                }
                if (effectivelyCancelled()) {
                    return false;
                }
                try {
                    target.awaitTermination(creditTarget());
                    return true;
                } catch (InterruptedException e) {
                    // the flag is now clear; a stray interrupt (not a cancellation of ours) just retries, and
                    // gives back its credit (the loop re-checks before it parks)
                    if (!effectivelyCancelled()) {
                        dropWakeCredits();
                    }
                }
            }
        } finally {
            exitWait(outermost);
        }
    }

    /**
     * Blocks the calling fiber (this one) until {@code target} has terminated, ignoring cancellation; a join
     * wait for dumps and {@code TestRuntime}. Fiber thread only.
     */
    void joinUninterruptibly(Fiber target) {
        if (target.terminated()) {
            return;
        }
        boolean outermost = enterWait(FiberDump.Activity.JOIN, target);
        try {
            target.awaitTerminationUninterruptibly(creditTarget());
        } finally {
            exitWait(outermost);
        }
    }


    // ---------------------------------------------------------------------------------------------------
    // Dumps

    /**
     * This fiber and its live children as a dump entry, or {@code null} if it has terminated. Any thread.
     * Reads the fiber-owned scope stack without synchronization: a scope opened or closed meanwhile may be
     * missed or shown once more, which a best-effort snapshot allows; the scopes' child lists are read under
     * their locks.
     */
    FiberDump.Entry dumpEntry(long now) {
        if (terminated()) {
            return null;
        }
        FiberDump.Activity kind = waitKind();
        Object on = waitOn;
        long since = (long) WAIT_SINCE.getOpaque(this);
        if (since == 0 && kind != null) {
            // Not stamped on entry: this dump is the first to see the wait. If the fiber has moved on to
            // another wait meanwhile, that one is stamped a little late, which only shortens its duration.
            long witness = (long) WAIT_SINCE.compareAndExchange(this, 0L, now);
            since = witness == 0 ? now : witness;
        }
        List<FiberDump.Entry> children = new ArrayList<>();
        ScopeImpl[] ss = scopes;
        int n = Math.min(scopeCount, ss == null ? 0 : ss.length);
        for (int i = 0; i < n; i++) {
            addChildren(ss[i], now, children);
        }
        addChildren(rootScope, now, children);
        for (Branches b = branches; b != null; b = b.outer()) {
            for (Fiber k : b.kids()) {
                FiberDump.Entry e = k == null ? null : k.dumpEntry(now);
                if (e != null) {
                    children.add(e);
                }
            }
        }
        Thread t = thread;
        String name = t != null ? t.getName() : "unstarted fiber";
        if (kind == null) {
            return new FiberDump.Entry(name, FiberDump.Activity.RUNNING, "", Duration.ZERO, rootRegion.cancelled,
                    children);
        }
        return new FiberDump.Entry(name, kind, describe(on), Duration.ofNanos(Math.max(0, now - since)),
                rootRegion.cancelled, children);
    }

    private static void addChildren(ScopeImpl scope, long now, List<FiberDump.Entry> into) {
        if (scope == null) {
            return;
        }
        for (Fiber f : scope.children()) {
            FiberDump.Entry e = f.dumpEntry(now);
            if (e != null) {
                into.add(e);
            }
        }
    }

    /** What a wait is on, in words, for dumps. */
    private static String describe(Object on) {
        if (on == null) {
            return "";
        }
        if (on instanceof Fiber f) {
            Thread t = f.thread;
            return "on " + (t != null ? t.getName() : "an unstarted fiber");
        }
        if (on instanceof aivi.concurrency.internal.channel.Channel<?> c) {
            return "on Channel@" + Integer.toHexString(System.identityHashCode(c))
                    + c.toString().substring("Channel".length());
        }
        if (on instanceof List<?> clauses) {
            return "over " + clauses.size() + (clauses.size() == 1 ? " clause" : " clauses");
        }
        if (on instanceof ScopeImpl sc) {
            return "on " + sc;
        }
        return on.toString();
    }


    @Override
    public String toString() {
        // No id counter of our own: a shared counter costs a contended atomic per spawn; the thread's name
        // (prefix plus the thread factory's counter) already identifies the fiber.
        Thread t = thread;
        return t != null ? "Fiber[" + t.getName() + "]" : "Fiber[unstarted]";
    }
}
