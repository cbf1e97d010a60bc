package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A fiber's virtual thread is named by the runtime's prefix and a number that counts up from 1 over every fiber
 * the runtime starts, named ones included; a named effect's fiber carries its name instead.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FiberNamesTest {

    private static Effect<String, String> threadName() {
        return Effect.sync(() -> Thread.currentThread().getName());
    }

    @Test
    void fibersAreNumberedFromOneUnderThePrefixAndANamedFiberCarriesItsNameButTakesANumber() {
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withFiberNamePrefix("names-test-"))) {
            Effect<String, List<String>> names = Concurrency.<String, List<String>>scope(s -> Effect.gen(d -> {
                String a = d.await(d.await(s.spawn(threadName())).join());
                String named = d.await(d.await(s.spawn(threadName().named("worker"))).join());
                String b = d.await(d.await(s.spawn(threadName())).join());
                return List.of(Thread.currentThread().getName(), a, named, b);
            }));
            assertThat(rt.run(names)).isEqualTo(Exit.success(List.of("names-test-1", "names-test-2", "worker",
                    "names-test-4")));
        }
    }
}
