package aivi.concurrency;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The structured-concurrency primitives behind {@link Concurrency}: {@code scope}, {@code par},
 * {@code race}, {@code timeoutWith}.
 */
final class Structured {
    // Implementation overview (not public documentation).
    //
    // Each primitive runs one of its effects on the calling fiber, inside a fresh cancellable Fiber.Region, and
    // the others on child fibers; so par(a, b) costs one fiber start, and a timeoutWith none: its timer is an
    // entry in the runtime's shared Timers queue, whose one thread cancels the region when the deadline passes. A
    // child's completion callback (which runs on the child before the child counts as terminated) decides whether
    // the region on the calling fiber must be cancelled: in par on the first error, in race on the first
    // completion. After the calling fiber's part has ended, the primitive pops the region, cancels the children
    // that still matter and waits for every child to terminate before it returns: no branch outlives the
    // primitive.
    //
    // Races considered. The winner of a race is decided by one compare-and-set on an AtomicReference: a completion
    // and a cancellation can arrive together and exactly one wins. A region cancelled after it was popped is
    // ignored by Fiber.cancelRegion. A cancellation of the calling fiber cannot make a primitive return before its
    // children are gone: par waits for its children cancellably and, if cancelled, cancels them and then waits
    // uninterruptibly; the other waits at the end run after every child was cancelled, uninterruptibly. The
    // cancellation is observed by the run loop right after.

    private Structured() {
    }

    // ------------------------------------------------------------------------------------------------------
    // scope

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <E, A> Exit<E, A> scope(Fiber fiber, Function<? super Scope, ? extends Effect<E, A>> run) {
        // Every push has its pop in a finally, and the close is reached whatever throws (out of memory, a stack
        // overflow at any call below): the region, the scope entry and the mask are each pushed only once the
        // previous step succeeded, and popped in reverse order. A close that itself throws (a stack overflow deep
        // inside it) may leave children running; the scope is then put on the fiber's deferred list (plain field
        // writes, which cannot fail), and the fiber closes it at the bottom of its stack before it completes.
        Fiber.Region region = fiber.pushRegion();
        ScopeImpl scope = null;
        boolean scopePushed = false;
        Exit body = null;
        Throwable thrown = null;
        try {
            scope = new ScopeImpl(fiber.runtime, fiber, region, true);
            fiber.pushScope(scope);
            scopePushed = true;
            Effect<E, A> eff = run.apply(scope);
            if (eff == null) {
                throw new NullPointerException("Concurrency.scope: the body function returned null");
            }
            body = RunLoop.run(fiber, eff);
        } catch (Throwable t) {
            thrown = t; // classified below, in a try of its own
        }
        try {
            if (thrown != null) {
                try {
                    body = RunLoop.classify(fiber, thrown);
                } catch (Throwable again) {
                    body = new Exit.Defect<>(thrown);
                }
            }
        } finally {
            region.ended = true; // first: a field write cannot fail, the pop can (see Region.ended)
            fiber.popRegion(region);
        }
        if (scope == null) {
            return body;
        }
        try {
            fiber.pushMask();
            try {
                return scope.close(body);
            } finally {
                fiber.popMask();
            }
        } catch (Throwable t) {
            scope.nextDeferred = fiber.deferredCloses;
            fiber.deferredCloses = scope;
            throw t;
        } finally {
            if (scopePushed) {
                fiber.popScope(scope);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // par

    /** Runs all effects at once; the values in input order, or the first error after all have ended. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Exit<Object, List<Object>> parAll(Fiber fiber, List<? extends Effect<?, ?>> effects) {
        int n = effects.size();
        if (n == 0) {
            return Exit.success(List.of());
        }
        Fiber[] kids = new Fiber[n - 1];
        fiber.pushBranches(kids); // for dumps: the branches are this fiber's children
        try {
            return parAll(fiber, effects, kids);
        } finally {
            fiber.popBranches();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Exit<Object, List<Object>> parAll(Fiber fiber, List<? extends Effect<?, ?>> effects, Fiber[] kids) {
        int n = effects.size();
        // Everything that allocates (or links a lambda) comes before the push, and the push just before the try
        // whose finally pops it: a throw in between (out of memory, a stack overflow) left the region pushed.
        Fiber.Region region = fiber.newRegion();
        Object[] callerLocals = fiber.locals;
        Errors errors = new Errors();
        Runnable cancelAll = () -> {
            fiber.cancelRegion(region);
            for (Fiber k : kids) {
                if (k != null) {
                    k.cancel();
                }
            }
        };
        java.util.function.Consumer<Exit<?, ?>> onChildDone = exit -> {
            if (isError(exit) && errors.add(exit)) {
                cancelAll.run();
            }
        };
        Exit first;
        fiber.pushRegion(region);
        try {
            for (int i = 1; i < n; i++) {
                kids[i - 1] = startChild(fiber, effects.get(i), onChildDone);
            }
            // Bug fix (parAll hung after an early failure): a child that failed before its later siblings
            // were started found their slots in kids empty and could not cancel them. A child recording the
            // first error under the Errors lock after this check sees every slot; one recorded before it is
            // handled here.
            if (!errors.isEmpty()) {
                cancelAll.run();
            }
            first = runBranch(fiber, region, effects.get(0));
        } catch (Throwable t) {
            first = RunLoop.classify(fiber, t);
        } finally {
            fiber.locals = callerLocals; // the calling branch is a child too: its FiberLocal sets end with it
            region.ended = true; // first: a field write cannot fail, the pop can (see Region.ended)
            fiber.popRegion(region);
        }
        boolean regionCancelled = region.cancelled;
        if (isError(first)) {
            if (errors.add(first)) {
                cancelAll.run();
            }
        } else if (first instanceof Exit.Cancelled && !regionCancelled) {
            cancelAll.run(); // the caller itself is cancelled (or the branch joined a cancelled task)
        }
        // Bug fix (par ignored the cancellation of its caller): once the calling branch had succeeded, the
        // wait for the others was uninterruptible, so a timeout or a failing sibling around par never reached
        // them (par(succeed(1), never()) under timeoutWith hung). Wait cancellably; when the caller is
        // cancelled, cancel the others, then wait for them to terminate.
        for (Fiber k : kids) {
            // k is null only when starting it failed (the error is then the outcome)
            if (k != null && !fiber.blockUntilTerminated(k)) {
                cancelAll.run();
                awaitAll(fiber, kids);
                break;
            }
        }
        Exit err = errors.combine(fiber.runtime);
        if (err != null) {
            return err;
        }
        Object[] values = new Object[n];
        if (!(first instanceof Exit.Success s0)) {
            return RunLoop.cancelled();
        }
        values[0] = s0.value();
        for (int i = 1; i < n; i++) {
            Exit e = kids[i - 1].exit;
            if (!(e instanceof Exit.Success s)) {
                return RunLoop.cancelled();
            }
            values[i] = s.value();
        }
        return Exit.success(java.util.Collections.unmodifiableList(java.util.Arrays.asList(values)));
    }

    /** Runs {@code left} on this fiber and {@code right} on a child: {@link Concurrency#par}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Exit<Object, Pair<Object, Object>> par(Fiber fiber, Effect<?, ?> left, Effect<?, ?> right) {
        Exit e = parAll(fiber, List.of(left, right));
        if (e instanceof Exit.Success s) {
            List<Object> vs = (List<Object>) s.value();
            return Exit.success(new Pair<>(vs.get(0), vs.get(1)));
        }
        return e;
    }

    // ------------------------------------------------------------------------------------------------------
    // race

    /**
     * Races the effects: the first to complete wins ({@code successOnly == false}), or the first to succeed
     * (if none succeeds, the last failure); the others are cancelled and awaited.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Exit<Object, Object> race(Fiber fiber, List<? extends Effect<?, ?>> effects, boolean successOnly) {
        Fiber[] kids = new Fiber[effects.size() - 1];
        fiber.pushBranches(kids); // for dumps: the branches are this fiber's children
        try {
            return race(fiber, effects, successOnly, kids);
        } finally {
            fiber.popBranches();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Exit<Object, Object> race(Fiber fiber, List<? extends Effect<?, ?>> effects, boolean successOnly,
                                             Fiber[] kids) {
        int n = effects.size();
        Fiber.Region region = fiber.newRegion(); // pushed just before the try: see parAll
        Object[] callerLocals = fiber.locals;
        AtomicReference<Exit> winner = new AtomicReference<>();
        AtomicInteger pending = new AtomicInteger(n);
        Errors losers = new Errors();
        java.util.function.Consumer<Exit<?, ?>> onDone = exit -> {
            boolean last = pending.decrementAndGet() == 0;
            if (!successOnly || exit instanceof Exit.Success || last) {
                if (winner.compareAndSet(null, exit)) {
                    fiber.cancelRegion(region);
                    for (Fiber k : kids) {
                        if (k != null) {
                            k.cancel();
                        }
                    }
                    return;
                }
            }
            // Bug fix (race lost a loser's error): in first-completion mode an error that did not win (one
            // that came with or after the winner, or after the caller was cancelled) was dropped silently.
            // Every error that is not the outcome is now kept: attached to a defect outcome or reported.
            if (isError(exit)) {
                losers.add(exit);
            }
        };
        Exit first;
        fiber.pushRegion(region);
        try {
            for (int i = 1; i < n; i++) {
                kids[i - 1] = startChild(fiber, effects.get(i), (java.util.function.Consumer) onDone);
            }
            first = runBranch(fiber, region, effects.get(0));
        } catch (Throwable t) {
            first = RunLoop.classify(fiber, t);
        } finally {
            fiber.locals = callerLocals; // the calling branch is a child too: its FiberLocal sets end with it
            region.ended = true; // first: a field write cannot fail, the pop can (see Region.ended)
            fiber.popRegion(region);
        }
        if (!(first instanceof Exit.Cancelled && region.cancelled)) {
            onDone.accept(first);
        }
        // Cancel the other branches only once the race is decided, or when the caller itself is cancelled.
        // In first-success mode a failed calling branch decides nothing: the others run on, and the one that
        // decides the race (a success, or the last failure) cancels the rest in onDone. A winner set after
        // this check cancels the rest itself. The wait for the others honours the caller's cancellation
        // (a timeout around raceSuccess(fail, never) must fire): if the caller is cancelled while they run
        // on, they are cancelled, and then awaited uninterruptibly; that last wait cannot hang on a cycle,
        // because every one of them has been cancelled and none waits for this fiber.
        if (winner.get() != null || fiber.effectivelyCancelled()) {
            for (Fiber k : kids) {
                if (k != null) {
                    k.cancel();
                }
            }
        }
        for (Fiber k : kids) {
            // k is null only when starting it failed (the error is then the outcome)
            if (k != null && !fiber.blockUntilTerminated(k)) {
                for (Fiber c : kids) {
                    if (c != null) {
                        c.cancel();
                    }
                }
                awaitAll(fiber, kids);
                break;
            }
        }
        Exit w = winner.get();
        if (w == null) {
            // No branch decided the race: a branch could not be started (its error is the outcome), or every
            // branch was cancelled.
            return isError(first) ? first : RunLoop.cancelled();
        }
        // raceSuccess ignores the failures of branches when one succeeds (that is its purpose)
        if (!successOnly || isError(w)) {
            losers.reportAllBut(w, fiber.runtime);
        }
        return w;
    }

    // ------------------------------------------------------------------------------------------------------
    // timeoutWith

    @SuppressWarnings({"unchecked", "rawtypes"})
    /** {@code nanos} comes from {@link Durations}: positive and saturated. */
    static <E, A> Exit<E, A> timeout(Fiber fiber, long nanos, Exit<E, A> onTimeout, Effect<E, A> effect) {
        // The user's clock is read before anything is pushed: if it throws, there is nothing to undo (the
        // throw ends this step as a defect).
        long deadline = Durations.deadline(fiber.runtime.clock().nanoTime(), nanos);
        Fiber.Region region = fiber.pushRegion();
        Timer timer = null;
        Exit body;
        try {
            // Armed on the runtime's shared timer thread (see Timers): no thread start per call. Inside the
            // try, so that whatever throws after the push, the region is popped.
            timer = fiber.runtime.timers.schedule(deadline, () -> fiber.cancelRegion(region));
            body = runBranch(fiber, region, effect);
        } catch (Throwable t) {
            body = RunLoop.classify(fiber, t);
        } finally {
            if (timer != null) {
                timer.cancel();
            }
            region.ended = true; // first: a field write cannot fail, the pop can (see Region.ended)
            fiber.popRegion(region);
        }
        if (body instanceof Exit.Cancelled && timer != null && timer.fired() && region.cancelled) {
            JfrEvents.timeoutFired(nanos, onTimeout instanceof Exit.Failure<E, A> f ? f.error() : onTimeout);
            return onTimeout;
        }
        return body;
    }

    // ------------------------------------------------------------------------------------------------------
    // helpers

    /**
     * Runs a branch on the calling fiber inside {@code region}, as a scope of its own: what the branch
     * spawns is cancelled and awaited when the branch ends, and a failing child fails the branch (SPEC:
     * every fiber, and every {@code par}/{@code race} branch, is a scope for what it spawns). The scope is
     * created only if the branch spawns.
     */
    @SuppressWarnings("rawtypes")
    static Exit runBranch(Fiber fiber, Fiber.Region region, Effect<?, ?> effect) {
        fiber.pushLazyScope(region);
        Exit exit;
        ScopeImpl scope;
        try {
            exit = RunLoop.run(fiber, effect);
        } catch (Throwable t) {
            exit = RunLoop.classify(fiber, t);
        } finally {
            scope = fiber.popScope();
        }
        if (scope != null) {
            fiber.pushMask();
            try {
                exit = scope.close(exit);
            } finally {
                fiber.popMask();
            }
        }
        return exit;
    }

    static Fiber startChild(Fiber parent, Effect<?, ?> effect, java.util.function.Consumer<Exit<?, ?>> onDone) {
        Fiber child = new Fiber(parent.runtime, effect, null, onDone);
        child.forkedFrom = parent;
        child.start(parent); // counted live by its own thread (Fiber.run), so a start that throws counts nothing
        return child;
    }

    private static void awaitAll(Fiber fiber, Fiber[] kids) {
        for (Fiber k : kids) {
            if (k != null) {
                fiber.joinUninterruptibly(k);
            }
        }
    }

    static boolean isError(Exit<?, ?> e) {
        return e instanceof Exit.Failure || e instanceof Exit.Defect;
    }
}
