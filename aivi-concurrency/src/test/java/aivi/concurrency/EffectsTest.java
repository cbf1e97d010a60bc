package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The typed entry points compile without witnesses and behave like the static functions they forward to. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(30)
class EffectsTest {
    private final Effects<String> fx = Effects.of(String.class);

    @Test
    void chainsOnTypedEntryPointsNeedNoTypeWitnesses() {
        Effect<String, String> x = fx.sleep(1).as("x");
        Effect<String, Integer> failed = fx.succeed(1).flatMap(i -> fx.fail("too small: " + i));
        assertThat(x.runOrThrow()).isEqualTo("x");
        assertThat(failed.run()).isEqualTo(Exit.failure("too small: 1"));
    }

    @Test
    void typedEntryPointsForwardToTheDomainFunctions() {
        Effect<String, Integer> program = fx.gen(d -> {
            Pair<Integer, Integer> p = d.await(fx.par(fx.succeed(1), fx.succeed(2)));
            int raced = d.await(fx.race(fx.never(), fx.succeed(3)));
            int timed = d.await(fx.timeoutWith(1_000, "slow", fx.succeed(4)));
            var ch = d.await(fx.<Integer>makeBounded(1));
            d.await(fx.send(ch.first(), 5));
            d.await(fx.close(ch.first()));
            int received = d.await(fx.recv(ch.second())).orElse(0);
            Task<String, Integer> t = d.await(fx.spawn(fx.succeed(6)));
            return p.first() + p.second() + raced + timed + received + d.await(t.join());
        });
        assertThat(program.runOrThrow()).isEqualTo(21);
    }

    @Test
    void typedIsTheSameAsOfForGenericErrorTypes() {
        Effects<java.util.List<String>> errors = Effects.typed();
        assertThat(errors.fail(java.util.List.of("a", "b")).run()).isEqualTo(Exit.failure(java.util.List.of("a", "b")));
    }
}
