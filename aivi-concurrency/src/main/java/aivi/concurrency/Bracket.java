package aivi.concurrency;

import java.util.function.Function;

/**
 * {@link Effect#acquireRelease}: acquire under a mask, use with the surrounding cancellability, release
 * under a mask exactly once. The resource is held in a Java local from the moment {@code acquire} returns,
 * so no cancellation can fall between acquiring and registering the release.
 */
final class Bracket {
    private Bracket() {
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <E, R, A> Exit<E, A> run(Fiber fiber, Effect<E, R> acquire,
                                    Function<? super R, ? extends Effect<?, ?>> release,
                                    Function<? super R, ? extends Effect<E, A>> use) {
        fiber.pushMask();
        Exit<Object, Object> acquired;
        try {
            acquired = RunLoop.run(fiber, acquire);
        } finally {
            fiber.popMask();
        }
        if (!(acquired instanceof Exit.Success<Object, Object> s)) {
            return (Exit<E, A>) (Exit) acquired;
        }
        R resource = (R) s.value();
        Exit used;
        try {
            used = RunLoop.run(fiber, java.util.Objects.requireNonNull(use.apply(resource),
                    "Effect.acquireRelease: use returned null"));
        } catch (Throwable t) {
            used = RunLoop.classify(fiber, t);
        }
        return RunLoop.finalize(fiber, exit -> release.apply(resource), used);
    }
}
