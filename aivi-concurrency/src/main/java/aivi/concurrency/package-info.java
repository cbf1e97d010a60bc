/**
 * The {@code aivi.concurrency} domain for Java: typed effects, fibers on virtual threads, structured
 * concurrency and channels. Start with {@link aivi.concurrency.Concurrency} (the seed's functions) and
 * {@link aivi.concurrency.Effect}.
 *
 * <h2>Where things live</h2>
 *
 * <p>The public API and the engine share this package, so that the engine can stay package-private; the
 * only other package, {@code aivi.concurrency.internal.channel}, is not exported.
 *
 * <table class="striped">
 *   <caption>The public API</caption>
 *   <thead><tr><th>Type</th><th>What it is</th></tr></thead>
 *   <tbody>
 *     <tr><td>{@link aivi.concurrency.Concurrency}</td><td>the seed's functions: {@code par}, {@code race},
 *         {@code scope}, {@code spawn}, {@code timeoutWith}, {@code retry}, {@code sleep}, channels,
 *         {@code select}</td></tr>
 *     <tr><td>{@link aivi.concurrency.Effect}, {@link aivi.concurrency.Exit},
 *         {@link aivi.concurrency.Result}</td><td>the description of work and its outcomes</td></tr>
 *     <tr><td>{@link aivi.concurrency.Task}, {@link aivi.concurrency.Scope}</td><td>handles on running
 *         fibers and on a scope's children</td></tr>
 *     <tr><td>{@link aivi.concurrency.Sender}, {@link aivi.concurrency.Receiver},
 *         {@link aivi.concurrency.Clause}</td><td>channel ends and {@code select} clauses</td></tr>
 *     <tr><td>{@link aivi.concurrency.Schedule}</td><td>retry policies</td></tr>
 *     <tr><td>{@link aivi.concurrency.EffectRuntime}, {@link aivi.concurrency.RuntimeConfig},
 *         {@link aivi.concurrency.Clock}</td><td>running effects; configuration; the injectable
 *         time source</td></tr>
 *     <tr><td>{@link aivi.concurrency.TestRuntime}, {@link aivi.concurrency.TestClock},
 *         {@link aivi.concurrency.FiberDump}</td><td>virtual time and diagnostics</td></tr>
 *   </tbody>
 * </table>
 *
 * <table class="striped">
 *   <caption>The engine (package-private)</caption>
 *   <thead><tr><th>Class</th><th>Its one job</th></tr></thead>
 *   <tbody>
 *     <tr><td>{@code Node}, {@code RunLoop}</td><td>the effect tree and its stack-safe interpreter</td></tr>
 *     <tr><td>{@code Fiber}</td><td>one running effect: cancellation levels (regions and masks), its
 *         scope stack, its completion word, and the one library wait loop</td></tr>
 *     <tr><td>{@code FiberTask}</td><td>the {@code Task} of a fiber</td></tr>
 *     <tr><td>{@code ScopeImpl}</td><td>a set of child fibers with a common lifetime (scopes, the implicit
 *         scope of every fiber, the runtime's detached tasks)</td></tr>
 *     <tr><td>{@code Structured}</td><td>{@code scope}, {@code par}, {@code race}, {@code timeoutWith}
 *         on top of fibers and regions</td></tr>
 *     <tr><td>{@code Errors}</td><td>the first error of a primitive and the later ones, never lost</td></tr>
 *     <tr><td>{@code Bracket}, {@code Effects}, {@code Direct}</td><td>finalizers and brackets; small
 *         combinators; the direct-style builder {@code Effect.gen}</td></tr>
 *     <tr><td>{@code CallSites}</td><td>where each step of an effect was built, cached per lambda class, for
 *         the line numbers of {@code EffectTrace} ({@code -Daivi.concurrency.tracing=true})</td></tr>
 *     <tr><td>{@code Retrying}</td><td>the one retry loop (both {@code retry} overloads)</td></tr>
 *     <tr><td>{@code Timers}, {@code Timer}</td><td>the runtime's shared timer queue and thread</td></tr>
 *     <tr><td>{@code Durations}</td><td>every user delay to saturated nanoseconds</td></tr>
 *     <tr><td>{@code IdleTracker}</td><td>when every fiber of a {@code TestRuntime} waits</td></tr>
 *     <tr><td>{@code ChannelHandles}, {@code Selects}</td><td>the bridge from fibers to the channel
 *         engine in {@code aivi.concurrency.internal.channel}</td></tr>
 *   </tbody>
 * </table>
 */
package aivi.concurrency;
