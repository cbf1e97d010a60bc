package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * SPEC §4.2: context propagators capture on the thread that calls run/runAsync and on every spawning fiber,
 * and restore on the new fiber before it runs anything; with SLF4J's MDC (logback) as the real-world case.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextPropagatorTest {

    private static final ContextPropagator MDC_PROPAGATOR = ContextPropagator.<Map<String, String>>of(
            MDC::getCopyOfContextMap,
            snapshot -> {
                if (snapshot != null) {
                    MDC.setContextMap(snapshot);
                }
            });

    private final ThreadLocal<String> tenant = new ThreadLocal<>();
    private final ReportedErrors reported = new ReportedErrors();
    private Logger logger;
    private ListAppender<ILoggingEvent> lines;

    @BeforeEach
    void captureLogs() {
        logger = (Logger) LoggerFactory.getLogger("aivi.test.mdc");
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        lines = new ListAppender<>() {
            @Override
            protected void append(ILoggingEvent e) {
                e.prepareForDeferredProcessing(); // fix the MDC and thread name now, on the logging thread
                super.append(e);
            }
        };
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void stopLogs() {
        logger.detachAppender(lines);
        MDC.clear();
    }

    private EffectRuntime runtime(ContextPropagator... propagators) {
        RuntimeConfig config = RuntimeConfig.defaults().withErrorHandler(reported);
        for (ContextPropagator p : propagators) {
            config = config.withContextPropagator(p);
        }
        return EffectRuntime.create(config);
    }

    private Effect<String, String> log(String message) {
        return Effect.sync(() -> {
            logger.info(message);
            return message;
        });
    }

    /** The MDC request id of every log line, by message. */
    private Map<String, String> requestIdByMessage() {
        java.util.TreeMap<String, String> m = new java.util.TreeMap<>();
        for (ILoggingEvent e : lines.list) {
            m.put(e.getFormattedMessage(), String.valueOf(e.getMDCPropertyMap().get("requestId")));
        }
        return m;
    }

    @Test
    void theRequestIdAppearsInTheLogLinesOfParRaceTimeoutWithAndScopeChildren() {
        try (EffectRuntime rt = runtime(MDC_PROPAGATOR)) {
            MDC.put("requestId", "req-42");
            Effect<String, Unit> program = Concurrency.par(log("par left"), log("par right"))
                    .then(Concurrency.race(log("race left"), Concurrency.<String>sleep(10_000).then(log("race loser"))))
                    .then(Concurrency.timeoutWith(10_000, "timeout", Concurrency.par(log("timeout body"), log("timeout child"))))
                    .then(Concurrency.scope(s -> s.spawn(log("scope child a")).then(s.spawn(log("scope child b")))
                            .then(s.<String>joinAll())))
                    .then(Concurrency.spawn(Concurrency.spawn(log("grandchild")).flatMap(Task::join)).flatMap(Task::join))
                    .asUnit();
            assertThat(rt.run(program)).isEqualTo(Exit.success(Unit.UNIT));
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
        assertThat(requestIdByMessage()).containsOnlyKeys("par left", "par right", "race left", "timeout body",
                "timeout child", "scope child a", "scope child b", "grandchild").allSatisfy((message, id) ->
                assertThat(id).as(message).isEqualTo("req-42"));
        assertThat(lines.list).allSatisfy(e -> assertThat(e.getThreadName()).startsWith("aivi-fiber-"));
    }

    @Test
    void withoutAPropagatorFibersDoNotSeeTheCallersMdc() {
        try (EffectRuntime rt = runtime()) {
            MDC.put("requestId", "req-42");
            rt.run(Concurrency.par(log("left"), log("right")));
        }
        assertThat(requestIdByMessage()).containsEntry("left", "null").containsEntry("right", "null");
    }

    @Test
    void runAsyncCapturesOnTheCallingThread() throws Exception {
        try (EffectRuntime rt = runtime(MDC_PROPAGATOR)) {
            MDC.put("requestId", "async-1");
            CompletableFuture<String> f = rt.runAsync(log("async"));
            MDC.remove("requestId"); // captured at the call, not later
            assertThat(f.get(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("async");
        }
        assertThat(requestIdByMessage()).containsEntry("async", "async-1");
    }

    @Test
    void aFiberThatChangesItsContextHandsTheNewValueToTheFibersItStarts() {
        try (EffectRuntime rt = runtime(ContextPropagator.of(tenant::get, tenant::set))) {
            tenant.set("outer");
            Effect<String, String> read = Effect.sync(tenant::get);
            Effect<String, Pair<String, String>> e = Effect.<String, Unit>sync(() -> {
                tenant.set("changed in the fiber");
                return Unit.UNIT;
            }).then(Concurrency.par(read, read));
            assertThat(rt.run(e)).isEqualTo(Exit.success(new Pair<>("changed in the fiber", "changed in the fiber")));
            assertThat(tenant.get()).isEqualTo("outer"); // the caller's thread is untouched
        }
    }

    @Test
    void propagatorsCaptureAndRestoreInTheOrderTheyWereAdded() {
        List<String> events = new CopyOnWriteArrayList<>();
        ContextPropagator first = ContextPropagator.of(() -> {
            events.add("capture 1");
            return "s1";
        }, s -> events.add("restore 1 " + s));
        ContextPropagator second = ContextPropagator.of(() -> {
            events.add("capture 2");
            return "s2";
        }, s -> events.add("restore 2 " + s));
        try (EffectRuntime rt = runtime(first, second)) {
            rt.run(Effect.sync(() -> events.add("effect")));
        }
        assertThat(events).containsExactly("capture 1", "capture 2", "restore 1 s1", "restore 2 s2", "effect");
    }

    @Test
    void aPropagatorThatThrowsOnCaptureIsTheDefectOfTheNewFiberWhichRunsNothing() {
        IllegalStateException bug = new IllegalStateException("capture failed");
        List<String> ran = new CopyOnWriteArrayList<>();
        try (EffectRuntime rt = runtime(ContextPropagator.of(() -> {
            throw bug;
        }, s -> { }))) {
            assertThat(rt.run(Effect.sync(() -> ran.add("root")))).isEqualTo(Exit.defect(bug));
            assertThat(ran).isEmpty();
            NoLeakedFibers.assertNoLiveFibers(rt);
        }
    }

    @Test
    void aPropagatorThatThrowsOnRestoreFailsTheChildAndThroughItTheScope() {
        IllegalStateException bug = new IllegalStateException("restore failed");
        List<String> ran = new CopyOnWriteArrayList<>();
        // fails only in fibers started by a fiber, so the root runs and its children fail
        ContextPropagator failsInChildren = ContextPropagator.of(() -> Thread.currentThread().isVirtual()
                && Thread.currentThread().getName().startsWith("aivi-fiber-"), inFiber -> {
            if (inFiber) {
                throw bug;
            }
        });
        try (EffectRuntime rt = runtime(failsInChildren)) {
            Exit<String, Unit> exit = rt.run(Concurrency.scope(s -> s.spawn(Effect.<String, Boolean>sync(() -> ran.add("child")))
                    .then(s.<String>joinAll())));
            assertThat(exit).isEqualTo(Exit.defect(bug));
            assertThat(ran).isEmpty();
        }
    }

    @Test
    void aDetachedFiberWhosePropagatorFailsIsReportedWhenNobodyJoinsIt() throws Exception {
        IllegalStateException bug = new IllegalStateException("restore failed in a detached fiber");
        ContextPropagator failsInChildren = ContextPropagator.of(() -> Thread.currentThread().getName()
                .startsWith("aivi-fiber-"), inFiber -> {
            if (inFiber) {
                throw bug;
            }
        });
        EffectRuntime rt = runtime(failsInChildren);
        try {
            Task<String, Unit> task = rt.runOrThrow(Concurrency.spawnDetached(Effect.<String>unit())); // nobody joins it
            // Let it end on its own before closing: a close that came first would cancel it before it started.
            while (task.poll().isEmpty()) {
                Thread.onSpinWait();
            }
        } finally {
            rt.close();
        }
        assertThat(reported.errors()).contains(bug);
    }
}
