package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the README claims about {@code ScopedValue} (final in JDK 25, a preview API in JDK 21, which the build
 * targets, so it is reached by reflection): a value the caller bound is not visible inside fibers, because a
 * fiber is a new thread, not a {@code StructuredTaskScope} fork; bind a {@link FiberLocal} from it at the
 * boundary instead.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ScopedValueTest {

    /** A {@code ScopedValue<String>} and a way to run code with it bound; skipped below JDK 25. */
    private static final class Scoped {
        final Object key;
        final Method where;
        final Method isBound;
        final Method get;
        final Method runWhere;

        Scoped() throws ReflectiveOperationException {
            Class<?> sv = Class.forName("java.lang.ScopedValue");
            key = sv.getMethod("newInstance").invoke(null);
            where = sv.getMethod("where", sv, Object.class);
            isBound = sv.getMethod("isBound");
            get = sv.getMethod("get");
            runWhere = Class.forName("java.lang.ScopedValue$Carrier").getMethod("run", Runnable.class);
        }

        void runBound(String value, Runnable body) throws ReflectiveOperationException {
            runWhere.invoke(where.invoke(null, key, value), body);
        }

        boolean isBound() {
            return call(() -> (Boolean) isBound.invoke(key));
        }

        String get() {
            return call(() -> (String) get.invoke(key));
        }

        private static <T> T call(Callable<T> c) {
            try {
                return c.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static Scoped scopedValue() throws ReflectiveOperationException {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "ScopedValue is final from JDK 25 on");
        return new Scoped();
    }

    @Test
    void aScopedValueBoundByTheCallerIsNotVisibleInFibers() throws Exception {
        Scoped user = scopedValue();
        AtomicReference<Pair<Boolean, Pair<Boolean, Boolean>>> seen = new AtomicReference<>();
        user.runBound("ada", () -> seen.set(Effect.<String, Boolean>sync(user::isBound)
                .zip(Concurrency.par(Effect.sync(user::isBound), Effect.sync(user::isBound))).runOrThrow()));
        assertThat(seen.get()).isEqualTo(new Pair<>(false, new Pair<>(false, false)));
    }

    @Test
    void bindingAFiberLocalFromItAtTheBoundaryCarriesItIntoEveryFiber() throws Exception {
        Scoped user = scopedValue();
        FiberLocal<String> currentUser = FiberLocal.of("anonymous");
        Effect<String, Pair<String, String>> handler = Concurrency.par(currentUser.get(), currentUser.get());
        AtomicReference<Pair<String, String>> seen = new AtomicReference<>();
        user.runBound("ada", () -> seen.set(currentUser.locally(user.get(), handler).runOrThrow()));
        assertThat(seen.get()).isEqualTo(new Pair<>("ada", "ada"));
    }
}
