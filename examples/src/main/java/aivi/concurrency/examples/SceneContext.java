package aivi.concurrency.examples;

import aivi.concurrency.EffectRuntime;

/**
 * What every scene gets: the HTTP client, the server (to count its requests), the output, the options, and the
 * runtime the scenes run on (for its fiber dump).
 *
 * @param api      the client of the demo server
 * @param server   the demo server
 * @param terminal the output
 * @param options  the command-line options
 * @param runtime  the runtime running the scenes
 */
record SceneContext(HttpApi api, DemoServer server, Terminal terminal, Options options, EffectRuntime runtime) {

    /** {@code ms} scaled like the server's latencies (five times shorter with {@code --fast}). */
    long ms(long ms) {
        return Math.max(1, Math.round(ms * options.scale()));
    }
}
