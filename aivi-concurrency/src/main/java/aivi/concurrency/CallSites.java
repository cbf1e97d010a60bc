package aivi.concurrency;

import java.security.ProtectionDomain;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where in the user's code each step of an effect was built, for {@link EffectTrace}: the call of
 * {@code flatMap}, {@code map}, {@code catchAll}, ... that made a node holding a user function. On only when
 * the system property {@value #PROPERTY} is {@code true} at class initialisation.
 */
final class CallSites {
    // Cached call-site tracing (the scheme Cats Effect calls "cached" tracing): the call site is found once per
    // class of user function, not once per node. A lambda expression compiles to one class, and that class is
    // passed to the same combinator call every time the expression is evaluated, so the first site found is
    // the site of every later node built with it. It is wrong only for a function object that one program
    // passes to several calls (one lambda stored in a variable and given to two flatMaps, one named Function
    // class used in many places): every such node reports the first call site seen.
    //
    // Cost. Off (the default): ENABLED is a static final constant, so the JIT folds the construction path's
    // `if (ENABLED)` away and nodes are built exactly as without tracing; the defect path checks it too and
    // keeps the class-only frames. On: building a node costs one ClassValue lookup and one volatile read; the
    // first node of each function class also walks the stack (a StackWalker, microseconds) once. Nodes carry
    // no extra field in either mode: the site is found again through the function's class when a trace is
    // made.
    //
    // State. SITES maps a function class to a Site, created without walking (computeValue runs on whatever
    // thread first asks, even on the defect path, where the stack says nothing about where the node was
    // built). Site.at is written once by the construction path: null until then. Two threads that build the
    // first nodes of one class at once may both walk and both write; they found the same site for a lambda
    // (any of the sites for a shared function object), so the race only wastes a walk. The volatile write
    // publishes the StackTraceElement, which is immutable, to the thread that makes the trace.
    //
    // Library classes (the package aivi.concurrency, loaded from this library's own code source) are skipped
    // as frames, and their own lambdas get no site: a wrapper lambda such as mapError's is one class shared by
    // every caller, so a cached site would name the first caller for all. Test code in the same package but
    // loaded from elsewhere (another directory or jar) counts as user code.

    /** The system property that turns call-site tracing on: {@code -Daivi.concurrency.tracing=true}. */
    static final String PROPERTY = "aivi.concurrency.tracing";

    /** Read once: whether nodes note their call sites. */
    static final boolean ENABLED = Boolean.getBoolean(PROPERTY);

    private static final ProtectionDomain LIBRARY = CallSites.class.getProtectionDomain();
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final AtomicLong WALKS = new AtomicLong();

    private static final ClassValue<Site> SITES = new ClassValue<>() {
        @Override
        protected Site computeValue(Class<?> type) {
            return new Site(isLibrary(type));
        }
    };

    private CallSites() {
    }

    private static final class Site {
        final boolean library;
        volatile StackTraceElement at;

        Site(boolean library) {
            this.library = library;
        }
    }

    /**
     * Notes where {@code f} is being passed to the library: called by the construction path when
     * {@link #ENABLED}, with the user's function as it is stored in the node.
     */
    static void note(Object f) {
        Site s = SITES.get(f.getClass());
        if (s.at == null && !s.library) {
            WALKS.incrementAndGet();
            Optional<StackWalker.StackFrame> caller = WALKER.walk(frames -> frames
                    .filter(frame -> !isLibrary(frame.getDeclaringClass())).findFirst());
            caller.ifPresent(frame -> s.at = frame.toStackTraceElement());
        }
    }

    /** Where {@code f}'s class was first noted, or {@code null}: none noted, or a library function. */
    static StackTraceElement siteOf(Object f) {
        return f == null ? null : SITES.get(f.getClass()).at;
    }

    /** How many stack walks {@link #note} has made in this JVM: what the tests of the off mode check. */
    static long walks() {
        return WALKS.get();
    }

    private static boolean isLibrary(Class<?> type) {
        String p = type.getPackageName();
        return (p.equals("aivi.concurrency") || p.startsWith("aivi.concurrency.internal"))
                && type.getProtectionDomain() == LIBRARY;
    }
}
