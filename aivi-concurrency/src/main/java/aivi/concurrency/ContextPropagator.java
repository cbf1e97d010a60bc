package aivi.concurrency;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Carries thread-local context (SLF4J's {@code MDC}, an OpenTelemetry {@code Context}, a security principal)
 * from the thread that starts a fiber into the new fiber. Every fiber runs on a virtual thread of its own, so
 * without a propagator such context is simply absent inside fibers.
 *
 * <p>Register propagators with {@link RuntimeConfig#withContextPropagator}. {@link #capture()} runs on the
 * thread that calls {@code run}/{@code runOrThrow}/{@code runAsync}, and on the spawning fiber each time it
 * starts a fiber; {@link #restore(Object)} runs on the new fiber's thread, with that snapshot, before the
 * fiber runs anything. A fiber's thread ends with the fiber, so nothing needs clearing afterwards.
 *
 * <p>Both methods must be quick and must not block: they run on every fiber start. A propagator that throws
 * ends the new fiber with that exception as its defect before any of its effect ran.
 *
 * {@snippet :
 * // SLF4J: org.slf4j.MDC.getCopyOfContextMap() / setContextMap(...)
 * ContextPropagator mdc = ContextPropagator.of(
 *         () -> Map.of("requestId", "r-1"),        // what MDC.getCopyOfContextMap() would return
 *         snapshot -> { });                         // MDC.setContextMap(snapshot)
 * RuntimeConfig config = RuntimeConfig.defaults().withContextPropagator(mdc);
 * }
 */
public interface ContextPropagator {

    /**
     * Takes a snapshot of the current thread's context. Called on the thread that starts a fiber.
     *
     * @return the snapshot (may be {@code null})
     */
    Object capture();

    /**
     * Installs {@code snapshot} on the current thread: the new fiber's, before it runs anything.
     *
     * @param snapshot what {@link #capture()} returned on the starting thread
     */
    void restore(Object snapshot);

    /**
     * A propagator from a capture function and a restore function.
     *
     * {@snippet :
     * ThreadLocal<String> tenant = new ThreadLocal<>();
     * ContextPropagator p = ContextPropagator.of(tenant::get, tenant::set);
     * }
     *
     * @param capture takes the snapshot on the starting thread
     * @param restore installs it on the new fiber's thread
     * @param <S>     the snapshot type
     * @return the propagator
     * @throws NullPointerException if an argument is {@code null}
     */
    static <S> ContextPropagator of(Supplier<? extends S> capture, Consumer<? super S> restore) {
        Objects.requireNonNull(capture, "ContextPropagator.of: capture must not be null");
        Objects.requireNonNull(restore, "ContextPropagator.of: restore must not be null");
        return new ContextPropagator() {
            @Override
            public Object capture() {
                return capture.get();
            }

            @Override
            @SuppressWarnings("unchecked")
            public void restore(Object snapshot) {
                restore.accept((S) snapshot);
            }

            @Override
            public String toString() {
                return "ContextPropagator.of(" + capture + ", " + restore + ")";
            }
        };
    }
}
