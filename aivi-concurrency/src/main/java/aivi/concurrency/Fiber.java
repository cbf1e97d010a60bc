package aivi.concurrency;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A fiber: one effect being interpreted on its own virtual thread.
 *
 * <h2>Implementation overview</h2>
 *
 * <p><b>Cancellation levels.</b> A fiber keeps a small stack of <em>levels</em>, owned and mutated only by
 * its own thread. A level is either a {@link Region} (a part of the fiber's execution that can be cancelled
 * on its own: the whole fiber at index 0, a {@code scope} body, the effect under a {@code timeoutWith}, the
 * left branch of {@code par}/{@code race}) or the {@link #MASK} marker of an uncancellable region. The fiber
 * is <em>effectively cancelled</em> when some cancelled region lies above the innermost mask: a mask shields
 * what runs inside it from every cancellation requested outside it (from regions below it), but regions
 * opened inside the mask can still be cancelled (Trio's shielded cancel scopes work the same way).
 *
 * <p><b>Who writes what.</b> {@link Region#cancelled} is written by any thread (the canceller) and read by
 * the fiber; {@link #cancelSignal} is a cheap "some region of mine may be cancelled" hint the run loop reads
 * once per step, so the fast path costs one volatile load. The level stack itself is written only by the
 * fiber thread, always under {@link #lock}; cancellers read it under the same lock.
 *
 * <p><b>Interrupt delivery.</b> The thread's interrupt flag is only a wake-up call that gets a fiber out of a
 * blocking JDK call; the truth is the level stack. A canceller marks the region and, still under
 * {@link #lock}, interrupts the thread only if no mask lies above that region. Because masks are pushed under
 * the same lock, the decision "interrupt now" cannot race with the fiber entering an uncancellable region:
 * either the canceller runs first (and pushing the mask then clears the stale interrupt flag) or the mask is
 * already visible to it (and no interrupt is sent). Hence code inside an uncancellable region or a finalizer
 * never sees an interrupt caused by this library. When a region is popped, an interrupt it caused is cleared
 * unless the fiber is still effectively cancelled, so the flag never leaks past the region.
 *
 * <p><b>Completion.</b> {@link #complete} publishes {@link #exit} (a volatile write), decrements the runtime's
 * live count, tells the owning scope (which records a failure before anyone can observe the fiber as
 * terminated), runs the internal completion callback and finally opens {@link #done}. Everyone waiting for
 * the fiber waits on that latch ({@link FiberTask} included: a non-null {@link #exit} alone does not mean
 * terminated), so "terminated" always means "exit published, no longer live, owner informed". The live count
 * drops <em>before</em> the owner is told because a scope's {@code close} waits for its owner-side count of
 * running children, not for each child's latch: so when a scope (or {@code run()}) returns, no child it
 * waited for still counts as live.
 */
final class Fiber implements Runnable {

    /** The marker level of an uncancellable region. */
    static final Object MASK = new Object();

    /** A cancellable part of a fiber's execution. */
    static final class Region {
        final Fiber fiber;
        /** Written by cancellers (under {@link Fiber#lock}), read by the fiber. */
        volatile boolean cancelled;
        /** The index in the level stack while pushed; written under {@link Fiber#lock}. */
        int index = -1;

        Region(Fiber fiber) {
            this.fiber = fiber;
        }
    }

    final Runtime runtime;
    final Effect<?, ?> effect;
    /** The scope this fiber is a child of, or {@code null} for a root or internal fiber. */
    final ScopeImpl parent;
    /** Called with the exit before {@link #done} opens; may be {@code null}. */
    private final Consumer<Exit<?, ?>> onDone;
    final Region rootRegion;
    final CountDownLatch done = new CountDownLatch(1);
    private final ReentrantLock lock = new ReentrantLock();

    /** Set before the thread starts (happens-before by {@link Thread#start}); read by cancellers under lock. */
    Thread thread;
    /** The outcome; written once by the fiber before {@link #done} opens. */
    volatile Exit<?, ?> exit;
    /** Someone joined or awaited this fiber, so its failure was observed. */
    volatile boolean observed;
    /** See the class comment: true once any region of this fiber has been cancelled and not yet popped. */
    volatile boolean cancelSignal;

    private Object[] levels = new Object[8];
    private int top;

    /**
     * The scopes opened on this fiber, innermost last; owned by the fiber thread. A {@code null} entry is a
     * branch scope (of a {@code par}/{@code race} branch or a timed effect) not created yet: it is created
     * on the first spawn, with the region from {@link #scopeRegions} at the same index, so a branch that
     * spawns nothing pays nothing.
     */
    private ScopeImpl[] scopes;
    private Region[] scopeRegions;
    private int scopeCount;
    /** The implicit scope of everything this fiber spawns outside an explicit scope; created lazily. */
    private ScopeImpl rootScope;

    /** Sibling links in {@link #parent}'s list of children; guarded by the parent's lock. */
    Fiber prevSibling;
    Fiber nextSibling;

    Fiber(Runtime runtime, Effect<?, ?> effect, ScopeImpl parent, Consumer<Exit<?, ?>> onDone) {
        this.runtime = runtime;
        this.effect = effect;
        this.parent = parent;
        this.onDone = onDone;
        this.rootRegion = new Region(this);
        rootRegion.index = 0;
        levels[0] = rootRegion;
    }

    /** Creates the thread and starts it; the runtime has already counted this fiber as live. */
    void start() {
        Thread t = runtime.newThread(this);
        thread = t;
        t.start();
    }

    @Override
    public void run() {
        Exit<?, ?> result;
        try {
            result = RunLoop.run(this, effect);
        } catch (Throwable t) {
            result = Exit.defect(t);
        }
        if (rootScope != null) {
            pushMask();
            result = rootScope.close(result);
            popMask();
        }
        complete(result);
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
            done.countDown();
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Cancellation levels

    /** True if some cancelled region lies above the innermost mask. Called by the fiber thread. */
    boolean effectivelyCancelled() {
        return cancelSignal && scanCancelled();
    }

    private boolean scanCancelled() {
        Object[] ls = levels;
        for (int i = top; i >= 0; i--) {
            Object level = ls[i];
            if (level == MASK) {
                return false;
            }
            if (((Region) level).cancelled) {
                return true;
            }
        }
        return false;
    }

    /** Opens a cancellable region on this fiber. Fiber thread only. */
    Region pushRegion() {
        Region r = new Region(this);
        lock.lock();
        try {
            push(r);
            r.index = top;
        } finally {
            lock.unlock();
        }
        return r;
    }

    /** Closes the innermost region, which must be {@code r}. Fiber thread only. */
    void popRegion(Region r) {
        lock.lock();
        try {
            assert levels[top] == r;
            levels[top--] = null;
            r.index = -1;
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
            lock.unlock();
        }
    }

    /** Enters an uncancellable region. Fiber thread only. */
    void pushMask() {
        lock.lock();
        try {
            push(MASK);
            if (cancelSignal) {
                Thread.interrupted(); // a wake-up sent before the mask became visible: discard it
            }
        } finally {
            lock.unlock();
        }
    }

    /** Leaves the innermost uncancellable region. Fiber thread only. */
    void popMask() {
        lock.lock();
        try {
            assert levels[top] == MASK;
            levels[top--] = null;
        } finally {
            lock.unlock();
        }
    }

    private void push(Object level) {
        if (++top == levels.length) {
            levels = java.util.Arrays.copyOf(levels, top * 2);
        }
        levels[top] = level;
    }

    /** Requests cancellation of the whole fiber. Any thread; does not wait. */
    void cancel() {
        cancelRegion(rootRegion);
    }

    /** Requests cancellation of {@code r} (a region of this fiber). Any thread; does not wait. */
    void cancelRegion(Region r) {
        lock.lock();
        try {
            if (r.cancelled) {
                return;
            }
            r.cancelled = true;
            int i = r.index;
            if (i < 0 || i > top || levels[i] != r) {
                // Already popped (a region is pushed before anyone can see it): nothing to cancel any more,
                // and raising cancelSignal would only send the run loop down its slow path.
                return;
            }
            cancelSignal = true;
            for (int j = i + 1; j <= top; j++) {
                if (levels[j] == MASK) {
                    return; // shielded: the run loop will notice once the mask is popped
                }
            }
            Thread t = thread;
            if (t != null && t != Thread.currentThread()) {
                t.interrupt();
            }
        } finally {
            lock.unlock();
        }
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

    /** Something that blocks interruptibly until a condition holds. */
    @FunctionalInterface
    interface Wait {
        void await() throws InterruptedException;
    }

    /**
     * Blocks in {@code w} until it returns, or until this fiber is effectively cancelled; returns
     * {@code true} if it returned, {@code false} if cancelled. Fiber thread only.
     */
    boolean block(Wait w) {
        for (;;) {
            if (effectivelyCancelled()) {
                return false;
            }
            try {
                w.await();
                return true;
            } catch (InterruptedException e) {
                // the flag is now clear; a stray interrupt (not a cancellation of ours) just retries
            }
        }
    }

    /**
     * Waits until this fiber has terminated, ignoring interrupts. Returns whether an interrupt arrived
     * meanwhile, so a plain-thread caller can restore it; a fiber caller ignores it, because a fiber
     * re-derives its cancellation from its levels (see the class comment).
     */
    boolean awaitTerminationUninterruptibly() {
        boolean interrupted = false;
        for (;;) {
            try {
                done.await();
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    @Override
    public String toString() {
        // No id counter of our own: a shared counter costs a contended atomic per spawn; the thread's name
        // (prefix plus the thread factory's counter) already identifies the fiber.
        Thread t = thread;
        return t != null ? "Fiber[" + t.getName() + "]" : "Fiber[unstarted]";
    }
}
