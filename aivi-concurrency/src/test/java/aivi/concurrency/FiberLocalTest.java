package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** SPEC §4.2: FiberLocal values are copied into every fiber at its start and never flow back. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FiberLocalTest {

    private final FiberLocal<String> user = FiberLocal.of("anonymous");
    private final FiberLocal<Integer> depth = FiberLocal.of(0);

    @Test
    void aRootFiberStartsWithTheInitialValueAndSetChangesIt() {
        Effect<String, List<String>> e = Effect.gen(d -> {
            String before = d.await(user.get());
            d.await(user.set("ada"));
            return List.of(before, d.await(user.get()));
        });
        assertThat(e.runOrThrow()).containsExactly("anonymous", "ada");
        assertThat(e.runOrThrow()).containsExactly("anonymous", "ada"); // a new run starts afresh
        assertThat(FiberLocal.<String>of(null).<String>get().runOrThrow()).isNull();
    }

    @Test
    void locallyBindsForTheEffectAndRestoresAfterEveryOutcome() {
        Effect<String, String> after = user.get();
        assertThat(user.locally("ada", user.<String>get()).zip(after).runOrThrow())
                .isEqualTo(new Pair<>("ada", "anonymous"));
        assertThat(user.locally("ada", Effect.<String, String>fail("boom")).<String>exit().then(after).runOrThrow())
                .isEqualTo("anonymous");
        assertThat(user.locally("ada", Effect.<String, String>sync(() -> {
            throw new IllegalStateException("bug");
        })).<String>exit().then(after).runOrThrow()).isEqualTo("anonymous");
        assertThat(Concurrency.timeoutWith(5, "timeout", user.locally("ada", Effect.<String, String>never()))
                .<String>exit().then(after).runOrThrow()).isEqualTo("anonymous");
        // a set of the same local inside is undone too, a set of another local is kept
        Effect<String, Pair<String, Integer>> nested = user.locally("ada",
                user.<String>set("grace").then(depth.set(3))).then(user.<String>get().zip(depth.get()));
        assertThat(nested.runOrThrow()).isEqualTo(new Pair<>("anonymous", 3));
        // nested bindings restore one by one
        Effect<String, String> inner = user.locally("b", user.get());
        assertThat(user.locally("a", inner.zip(user.get())).runOrThrow()).isEqualTo(new Pair<>("b", "a"));
    }

    @Test
    void aSpawnedChildGetsACopyTakenAtItsStartAndItsSetNeverReachesTheParent() {
        Effect<String, List<String>> e = Effect.gen(d -> {
            d.await(user.set("parent"));
            Task<String, String> child = d.await(Concurrency.spawn(
                    user.<String>get().flatMap(seen -> user.<String>set("child").then(user.get()).map(now -> seen + "->" + now))));
            String childSaw = d.await(child.join());
            d.await(user.set("parent, later"));
            Task<String, String> second = d.await(Concurrency.spawn(user.get()));
            return List.of(childSaw, d.await(user.get()), d.await(second.join()));
        });
        assertThat(e.runOrThrow()).containsExactly("parent->child", "parent, later", "parent, later");
    }

    @Test
    void aParentSetAfterTheSpawnDoesNotReachTheRunningChild() {
        Effect<String, String> e = Effect.gen(d -> {
            var ch = d.await(Concurrency.<String, String>makeBounded(0));
            d.await(user.set("before spawn"));
            Task<String, String> child = d.await(Concurrency.spawn(
                    Concurrency.<String, String>recv(ch.second()).then(user.get())));
            d.await(user.set("after spawn"));
            d.await(Concurrency.send(ch.first(), "go"));
            return d.await(child.join());
        });
        assertThat(e.runOrThrow()).isEqualTo("before spawn");
    }

    @Test
    void siblingsNeverSeeEachOthersSets() {
        Effect<String, Pair<String, String>> e = user.locally("caller", Concurrency.par(
                user.<String>set("left").then(Concurrency.<String>sleep(5)).then(user.get()),
                user.<String>set("right").then(Concurrency.<String>sleep(5)).then(user.get())));
        assertThat(e.runOrThrow()).isEqualTo(new Pair<>("left", "right"));
    }

    @Test
    void bothBranchesOfParAndRaceSeeTheCallersValuesAndTheirSetsEndWithThem() {
        Effect<String, String> readAndOverwrite = user.<String>get().flatMap(v -> user.<String>set("branch").as(v));
        Effect<String, List<String>> e = Effect.gen(d -> {
            d.await(user.set("caller"));
            Pair<String, String> both = d.await(Concurrency.par(readAndOverwrite, readAndOverwrite));
            String afterPar = d.await(user.get());
            String raced = d.await(Concurrency.race(readAndOverwrite, Effect.<String, String>never()));
            String afterRace = d.await(user.get());
            return List.of(both.first(), both.second(), afterPar, raced, afterRace);
        });
        assertThat(e.runOrThrow()).containsExactly("caller", "caller", "caller", "caller", "caller");
    }

    @Test
    void scopeChildrenAndDetachedTasksInheritToo() {
        Effect<String, List<String>> e = user.locally("req-1", Effect.gen(d -> {
            String inScope = d.await(Concurrency.scope(s -> s.spawn(user.<String>get()).flatMap(Task::join)));
            Task<String, String> detached = d.await(Concurrency.spawnDetached(user.get()));
            String fromDetached = d.await(detached.join());
            String inTimeout = d.await(Concurrency.timeoutWith(10_000, "timeout", user.get()));
            return List.of(inScope, fromDetached, inTimeout);
        }));
        assertThat(e.runOrThrow()).containsExactly("req-1", "req-1", "req-1");
    }

    @Test
    void aGrandchildInheritsFromTheChildThatStartedIt() {
        Effect<String, String> grandchild = Concurrency.spawn(user.<String>get()).flatMap(Task::join);
        Effect<String, String> child = Concurrency.spawn(user.<String>set("child").then(grandchild)).flatMap(Task::join);
        assertThat(user.locally("root", child).runOrThrow()).isEqualTo("child");
    }
}
