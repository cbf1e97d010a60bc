package aivi.concurrency.examples;

import java.util.List;

/** The demo server's endpoints: latencies of real services, scaled down by {@code --fast}. */
final class Endpoints {
    private Endpoints() {
    }

    static List<DemoServer.Endpoint> all(Options options) {
        return List.of(
                        DemoServer.Endpoint.reliable("/health", 0, 0),
                        DemoServer.Endpoint.reliable("/api/users", 300, 60),
                        DemoServer.Endpoint.reliable("/api/orders", 450, 60),
                        DemoServer.Endpoint.reliable("/mirror/eu", 150, 40),
                        DemoServer.Endpoint.reliable("/mirror/us", 420, 60),
                        DemoServer.Endpoint.reliable("/api/report", 3_000, 200),
                        new DemoServer.Endpoint("/api/flaky", 80, 30, options.failureRate(), 503),
                        new DemoServer.Endpoint("/jobs/", 150, 100, 0.1, 500),
                        DemoServer.Endpoint.reliable("/chunks/", 120, 40))
                .stream()
                .map(e -> e.scaled(options.scale()))
                .toList();
    }
}
