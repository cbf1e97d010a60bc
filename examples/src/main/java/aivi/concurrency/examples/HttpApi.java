package aivi.concurrency.examples;

import aivi.concurrency.Effect;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The demo's HTTP client: real {@link HttpClient} calls, each wrapped as an {@code Effect<ApiError, Response>}.
 *
 * <p>{@link HttpClient#send} blocks, which is fine: an effect runs on a fiber, a virtual thread, and blocking
 * it parks only that virtual thread. Cancelling the fiber interrupts the call, the client aborts the request,
 * and the effect ends as cancelled, not failed.
 */
final class HttpApi implements AutoCloseable {

    /**
     * An answer.
     *
     * @param path      the path asked for
     * @param status    the HTTP status (200)
     * @param body      the JSON body
     * @param elapsedMs how long the call took, as the client saw it
     */
    record Response(String path, int status, String body, long elapsedMs) {
    }

    private final HttpClient client;
    private final URI base;

    HttpApi(URI base) {
        this.base = base;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /**
     * {@code GET path}: succeeds with a 200 answer, fails with {@link ApiError.HttpStatus} for any other status
     * and with {@link ApiError.Unreachable} when no answer arrives.
     */
    Effect<ApiError, Response> get(String path) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).GET().build();
        return Effect.suspend(() -> {
            long start = System.nanoTime();
            Effect<ApiError, HttpResponse<String>> call = Effect.attempt(
                    () -> client.send(request, HttpResponse.BodyHandlers.ofString()),
                    e -> new ApiError.Unreachable(path, e.toString()));
            return call.flatMap(r -> r.statusCode() == 200
                    ? Effect.succeed(new Response(path, 200, r.body(), (System.nanoTime() - start) / 1_000_000))
                    : Effect.fail(new ApiError.HttpStatus(path, r.statusCode())));
        });
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
