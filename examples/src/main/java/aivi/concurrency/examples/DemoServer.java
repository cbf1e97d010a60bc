package aivi.concurrency.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The demo's backend: an embedded HTTP server (the JDK's {@code com.sun.net.httpserver}) on a free loopback
 * port, whose endpoints answer after a realistic latency and fail at a configured rate.
 *
 * <p>Each exact request path draws its latencies and failures from its own {@link Random}, seeded from the
 * demo's seed and the path: the same seed gives the same answers, whatever order concurrent requests to
 * different paths arrive in. Handlers run on virtual threads, so a thousand sleeping handlers cost nothing.
 */
final class DemoServer implements AutoCloseable {

    /**
     * How an endpoint behaves. A path that ends with {@code /} is a family: {@code /jobs/} serves
     * {@code /jobs/1}, {@code /jobs/2}, ...
     *
     * @param path          the path or path prefix
     * @param latencyMs     the typical latency
     * @param jitterMs      latencies spread uniformly over {@code latencyMs ± jitterMs}
     * @param failureRate   the probability of answering {@code failureStatus} instead of 200
     * @param failureStatus the status of a failure (503, 500, ...)
     */
    record Endpoint(String path, long latencyMs, long jitterMs, double failureRate, int failureStatus) {
        Endpoint {
            if (latencyMs < 0 || jitterMs < 0 || jitterMs > latencyMs) {
                throw new IllegalArgumentException("Endpoint " + path + ": need 0 <= jitterMs <= latencyMs, was "
                        + jitterMs + " and " + latencyMs);
            }
            if (!(failureRate >= 0 && failureRate <= 1)) {
                throw new IllegalArgumentException("Endpoint " + path + ": failureRate must be in [0, 1], was "
                        + failureRate);
            }
        }

        static Endpoint reliable(String path, long latencyMs, long jitterMs) {
            return new Endpoint(path, latencyMs, jitterMs, 0, 503);
        }

        Endpoint scaled(double scale) {
            return new Endpoint(path, Math.round(latencyMs * scale), Math.round(jitterMs * scale), failureRate,
                    failureStatus);
        }
    }

    private final HttpServer server;
    private final ExecutorService handlers;
    private final List<Endpoint> endpoints;
    private final long seed;
    private final Map<String, Random> randoms = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> hits = new ConcurrentHashMap<>();

    private DemoServer(HttpServer server, ExecutorService handlers, List<Endpoint> endpoints, long seed) {
        this.server = server;
        this.handlers = handlers;
        this.endpoints = endpoints.stream()
                .sorted(Comparator.comparingInt((Endpoint e) -> e.path().length()).reversed())
                .toList();
        this.seed = seed;
    }

    /**
     * Starts a server on {@code 127.0.0.1} and a free port.
     *
     * @param endpoints what it serves
     * @param seed      the seed of its latencies and failures
     * @return the running server
     * @throws IOException if it cannot bind
     */
    static DemoServer start(List<Endpoint> endpoints, long seed) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        DemoServer demo = new DemoServer(http, handlers, endpoints, seed);
        http.createContext("/", demo::handle);
        http.setExecutor(handlers);
        http.start();
        return demo;
    }

    /** The base address, {@code http://127.0.0.1:PORT}. */
    URI baseUri() {
        InetSocketAddress address = server.getAddress();
        return URI.create("http://" + address.getAddress().getHostAddress() + ":" + address.getPort());
    }

    /** The number of requests that reached {@code path} so far. */
    long requests(String path) {
        LongAdder n = hits.get(path);
        return n == null ? 0 : n.sum();
    }

    /** Stops accepting connections and interrupts the handlers still sleeping. */
    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }

    private Optional<Endpoint> endpoint(String path) {
        return endpoints.stream()
                .filter(e -> e.path().endsWith("/") ? path.startsWith(e.path()) : path.equals(e.path()))
                .findFirst();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            Optional<Endpoint> found = endpoint(path);
            if (found.isEmpty()) {
                reply(exchange, 404, "{\"error\":\"no such endpoint\",\"path\":\"" + path + "\"}", 0);
                return;
            }
            Endpoint e = found.get();
            hits.computeIfAbsent(path, p -> new LongAdder()).increment();
            Random random = randoms.computeIfAbsent(path, p -> new Random(seed * 1_000_003L + p.hashCode()));
            long latency = e.latencyMs() - e.jitterMs() + (e.jitterMs() == 0 ? 0 : random.nextLong(2 * e.jitterMs() + 1));
            boolean fail = random.nextDouble() < e.failureRate();
            try {
                Thread.sleep(latency);
            } catch (InterruptedException stopped) {
                return; // the server is stopping
            }
            if (fail) {
                reply(exchange, e.failureStatus(), "{\"error\":\"service unavailable\",\"path\":\"" + path + "\"}",
                        latency);
            } else {
                reply(exchange, 200, "{\"path\":\"" + path + "\",\"latencyMs\":" + latency + "}", latency);
            }
        } catch (IOException clientGone) {
            // The client cancelled the request (a race's loser, a timeout): nobody is listening any more.
        }
    }

    private static void reply(HttpExchange exchange, int status, String json, long latency) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("X-Latency-Ms", Long.toString(latency));
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
