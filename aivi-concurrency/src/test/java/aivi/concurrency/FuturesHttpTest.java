package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SPEC §4.1 against a real {@link HttpClient#sendAsync}: cancellation crosses the boundary both ways, and the
 * local server sees the request aborted.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FuturesHttpTest {

    private HttpServer server;
    private HttpClient client;
    /** The paths of requests whose client went away while the server was still answering. */
    private final BlockingQueue<String> aborted = new LinkedBlockingQueue<>();
    private final CountDownLatch slowStarted = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/fast", ex -> {
            byte[] body = "pong".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        // Streams a body that never ends; a write fails once the client has closed the connection.
        server.createContext("/slow", ex -> {
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            slowStarted.countDown();
            try {
                for (long i = 0; i < 1_000_000; i++) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(5); // a trickle, not an ordering: the client decides when it ends
                }
            } catch (IOException e) {
                aborted.add(ex.getRequestURI().getPath());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                ex.close();
            }
        });
        server.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.stop(0);
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path)).build();
    }

    private Effect<String, String> fetch(HttpRequest request) {
        return Effect.<String, HttpResponse<String>>fromFuture(
                () -> client.sendAsync(request, HttpResponse.BodyHandlers.ofString()),
                cause -> "http failed: " + cause.getClass().getSimpleName()).map(HttpResponse::body);
    }

    @Test
    void aResponseIsTheValue() {
        assertThat(fetch(get("/fast")).run()).isEqualTo(Exit.success("pong"));
    }

    @Test
    void aConnectionFailureIsTheTypedErrorOfTheUnwrappedCause() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + closedPort + "/")).build();
        assertThat(fetch(request).run())
                .isEqualTo(Exit.failure("http failed: " + ConnectException.class.getSimpleName()));
    }

    @Test
    void aCancelledFiberCancelsTheFutureAndHttpClientAbortsTheRequest() throws InterruptedException {
        // race: once the server is answering, the other branch fails, so the fetching branch is cancelled
        Effect<String, String> serverAnswering = Effect.<String, Unit>sync(() -> {
            try {
                TestFibers.await(slowStarted, "the server to start answering");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return Unit.UNIT;
        }).then(Effect.fail("server is answering, stop waiting"));
        Exit<String, String> exit = Concurrency.race(fetch(get("/slow")), serverAnswering).run();
        assertThat(exit).isEqualTo(Exit.failure("server is answering, stop waiting"));
        assertThat(aborted.poll(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("/slow");
    }

    @Test
    void cancellingTheRunAsyncFutureCancelsTheFiberWhichAbortsTheRequest() throws Exception {
        CompletableFuture<String> f = fetch(get("/slow")).runAsync();
        TestFibers.await(slowStarted, "the server to start answering");
        assertThat(f.cancel(true)).isTrue();
        assertThat(aborted.poll(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("/slow");
        ((Futures.RootFuture<String>) f).fiber.awaitTerminationUninterruptibly();
        assertThat(((Futures.RootFuture<String>) f).fiber.exit).isEqualTo(Exit.cancelled());
    }
}
