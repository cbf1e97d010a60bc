package aivi.concurrency.examples;

/**
 * What every scene gets: the HTTP client, the server (to count its requests), the output, the options.
 *
 * @param api      the client of the demo server
 * @param server   the demo server
 * @param terminal the output
 * @param options  the command-line options
 */
record SceneContext(HttpApi api, DemoServer server, Terminal terminal, Options options) {

    /** {@code ms} scaled like the server's latencies (five times shorter with {@code --fast}). */
    long ms(long ms) {
        return Math.max(1, Math.round(ms * options.scale()));
    }
}
