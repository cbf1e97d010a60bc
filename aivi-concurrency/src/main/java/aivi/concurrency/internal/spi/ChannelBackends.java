package aivi.concurrency.internal.spi;

import aivi.concurrency.Effect;
import aivi.concurrency.Pair;
import aivi.concurrency.Receiver;
import aivi.concurrency.Sender;
import java.util.Objects;

/**
 * Makes the library's {@link Sender} and {@link Receiver} over a {@link ChannelBackend}, and effects over other
 * blocking calls of a backend. The handles are package-private classes of {@code aivi.concurrency} (the handle
 * interfaces are sealed); that package installs its {@link Hooks} here when its handle class is initialized,
 * the pattern of the JDK's {@code SharedSecrets}.
 */
public final class ChannelBackends {
    private static volatile Hooks hooks;

    private ChannelBackends() {
    }

    /** A blocking call that answers an interrupt with {@link InterruptedException}, having done nothing then. */
    @FunctionalInterface
    public interface BlockingCall<T> {
        /**
         * Runs the call.
         *
         * @return its result
         * @throws InterruptedException if interrupted before anything was done
         */
        T call() throws InterruptedException;
    }

    /** What {@code aivi.concurrency} provides; installed once. */
    public interface Hooks {
        /**
         * The handles over {@code backend}.
         *
         * @param backend the channel
         * @param <A>     the type of values
         * @return the sender and the receiver
         */
        <A> Pair<Sender<A>, Receiver<A>> open(ChannelBackend<A> backend);

        /**
         * An effect that runs {@code call} on the fiber, like a channel operation.
         *
         * @param call the call
         * @param <E>  the typed error
         * @param <T>  the result type
         * @return the effect
         */
        <E, T> Effect<E, T> blocking(BlockingCall<T> call);
    }

    private static Hooks hooks() {
        Hooks h = hooks;
        if (h == null) {
            try {
                Class.forName("aivi.concurrency.BackendHandles", true, ChannelBackends.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("aivi.concurrency.BackendHandles is missing", e);
            }
            h = hooks;
        }
        return h;
    }

    /**
     * The library's handles over {@code backend}: every core combinator works on them ({@code send},
     * {@code recv}, {@code close}, {@code forEach}, {@code fold}, iteration); {@code select} refuses them with
     * the backend's {@link ChannelBackend#whyNoSelect()}.
     *
     * @param backend the channel
     * @param <A>     the type of values
     * @return the sender and the receiver
     */
    public static <A> Pair<Sender<A>, Receiver<A>> open(ChannelBackend<A> backend) {
        Objects.requireNonNull(backend, "ChannelBackends.open: backend must not be null");
        return hooks().open(backend);
    }

    /**
     * An effect that runs the blocking {@code call} on the fiber the way a channel operation runs: cancellable
     * while the call waits (it is interrupted; if it then throws {@link InterruptedException} the effect ends
     * {@code Cancelled}, having done nothing), and a result it returned is kept even if a cancel arrived.
     *
     * @param call the call
     * @param <E>  the typed error
     * @param <T>  the result type
     * @return the effect
     */
    public static <E, T> Effect<E, T> blocking(BlockingCall<T> call) {
        Objects.requireNonNull(call, "ChannelBackends.blocking: call must not be null");
        return hooks().blocking(call);
    }

    /**
     * Installs the hooks; called once, by {@code aivi.concurrency.BackendHandles}.
     *
     * @param h the hooks
     * @throws IllegalStateException if installed already
     */
    public static void install(Hooks h) {
        if (hooks != null) {
            throw new IllegalStateException("ChannelBackends.install: hooks are installed already");
        }
        hooks = Objects.requireNonNull(h, "ChannelBackends.install: hooks must not be null");
    }
}
