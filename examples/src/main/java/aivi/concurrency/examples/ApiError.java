package aivi.concurrency.examples;

/**
 * The typed errors of the demo's HTTP calls. Effects in the demo have the type {@code Effect<ApiError, A>}:
 * the compiler knows every way a call can fail, and a {@code switch} over an {@code ApiError} must handle
 * each case. Bugs (a {@code NullPointerException}, say) are not {@code ApiError}s: they stay defects.
 */
sealed interface ApiError {

    /** The endpoint the error is about. */
    String endpoint();

    /** Whether trying again may help: timeouts, network errors, 5xx and 429 answers. */
    default boolean isTransient() {
        return switch (this) {
            case Timeout t -> true;
            case Unreachable u -> true;
            case HttpStatus h -> h.status() >= 500 || h.status() == 429;
        };
    }

    /**
     * The endpoint did not answer within the limit.
     *
     * @param endpoint the path
     * @param limitMs  the limit in milliseconds
     */
    record Timeout(String endpoint, long limitMs) implements ApiError {
    }

    /**
     * The endpoint answered with a status other than 200.
     *
     * @param endpoint the path
     * @param status   the HTTP status
     */
    record HttpStatus(String endpoint, int status) implements ApiError {
    }

    /**
     * The request did not get an answer (connection refused, reset, ...).
     *
     * @param endpoint the path
     * @param reason   what the HTTP client said
     */
    record Unreachable(String endpoint, String reason) implements ApiError {
    }
}
