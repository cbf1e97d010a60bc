package aivi.concurrency;

import com.google.errorprone.annotations.CheckReturnValue;

import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The receiving end of a channel made by {@link Concurrency#make() make} or
 * {@link Concurrency#makeBounded makeBounded}. Thread-safe; any number of fibers may receive at once, and
 * each value goes to exactly one of them.
 *
 * {@snippet :
 * Effect<String, Integer> sum(Receiver<Integer> in) {
 *     return in.fold(0, Integer::sum); // until the channel is closed
 * }
 * }
 *
 * <p>Iterating in direct style ({@code for (var x : receiver.values())}, {@link #iterator()},
 * {@link #stream()}) blocks the current thread in each step; inside a fiber a cancellation ends the iteration
 * with a {@link CancelledException}. A {@code Receiver} is not itself {@link Iterable}: its effectful
 * {@link #forEach(Function) forEach} would clash with {@link Iterable#forEach} (see ADR 0005).
 *
 * @param <A> the type of values
 */
@CheckReturnValue
public sealed interface Receiver<A> permits ChannelHandles.ReceiverHandle, BackendHandles.BackendReceiver {

    /**
     * Receives the next value; the same as {@link Concurrency#recv Concurrency.recv(this)}.
     *
     * <p>Blocks the fiber until a value is available or the channel is closed. Yields {@code Ok(value)};
     * after {@code close}, values sent before are still delivered, then {@code Err(CLOSED)} at once, every
     * time. Cancellable while it waits; a cancelled receive has consumed nothing.
     *
     * @param <E> the typed error
     * @return the effect
     */
    <E> Effect<E, Result<ChannelError, A>> recv();

    /**
     * Receives a value only if one is available without waiting. A plain method, usable from any thread.
     *
     * @return {@code Optional.of(Ok(value))}, {@code Optional.of(Err(CLOSED))} if the channel is closed and
     *         drained, or empty if no value is available right now
     */
    Optional<Result<ChannelError, A>> tryRecv();

    /**
     * Runs {@code f} for every value, in order, until the channel is closed and drained.
     *
     * @param f   the effect to run per value
     * @param <E> the typed error
     * @return the effect
     */
    <E> Effect<E, Unit> forEach(Function<? super A, ? extends Effect<E, ?>> f);

    /**
     * Folds every value, in order, until the channel is closed and drained.
     *
     * @param initial the initial state
     * @param f       combines the state with a value
     * @param <E>     the typed error
     * @param <S>     the state type
     * @return the effect yielding the final state
     */
    <E, S> Effect<E, S> fold(S initial, BiFunction<? super S, ? super A, ? extends S> f);

    /**
     * The values until the channel is closed and drained, as an {@link Iterable} for the enhanced {@code for}
     * loop in direct style. Each loop (each {@link Iterable#iterator() iterator()}) takes values from the
     * channel as {@link #iterator()} does: it blocks in each step, and values another consumer takes are not
     * seen. Inside a cancelled fiber the loop ends with a {@link CancelledException}, which ends the
     * {@code Effect.gen} block as cancelled.
     *
     * {@snippet :
     * Effect<String, Integer> total(Receiver<Integer> numbers) {
     *     return Effect.gen(d -> {
     *         int sum = 0;
     *         for (int n : numbers.values()) { // until the channel is closed and drained
     *             sum += n;
     *         }
     *         return sum;
     *     });
     * }
     * }
     *
     * @return an iterable over the remaining values
     */
    default Iterable<A> values() {
        return this::iterator;
    }

    /**
     * Tells whether the channel is closed <em>and</em> drained, without consuming anything: every
     * {@code recv} now yields {@code Err(CLOSED)} at once. Once true, it stays true. While it is false a value
     * may still come (or the channel may still close), so use it for monitoring and tests, not to decide
     * whether to {@code recv}: the answer can be stale by the time you act on it.
     *
     * {@snippet :
     * boolean finished(Receiver<String> in) {
     *     return in.isClosedForReceive();
     * }
     * }
     *
     * @return {@code true} once the channel is closed and no value is left
     */
    boolean isClosedForReceive();

    /**
     * How many values are buffered in the channel right now (a snapshot): between 0 and
     * {@link #capacity()}, always 0 on a rendezvous channel. Values whose senders still wait to hand them
     * over are not counted.
     *
     * @return the number of buffered values
     */
    int size();

    /**
     * The channel's capacity: 0 for a rendezvous channel, {@code n} for {@code makeBounded(n)},
     * {@link Integer#MAX_VALUE} for an unbounded channel ({@code make}).
     *
     * @return the capacity
     */
    int capacity();

    /**
     * A blocking iterator over the values until the channel is closed and drained. {@code hasNext} blocks.
     * Inside a cancelled fiber (or an interrupted thread) it throws {@link CancelledException} and keeps the
     * thread's interrupt status set; no value is lost (a value it took is returned by the next
     * {@code next}).
     *
     * @return the iterator
     */
    Iterator<A> iterator();

    /**
     * A sequential, ordered stream of the values until the channel is closed and drained; it blocks as it is
     * consumed (see {@link #iterator()}).
     *
     * @return the stream
     */
    Stream<A> stream();

    /**
     * A {@link Flow.Publisher} of this channel's values, for reactive libraries (Reactor, RxJava, Mutiny,
     * the JDK's {@code HttpRequest.BodyPublishers.fromPublisher}). It follows the Reactive Streams rules:
     * values are sent only as far as the subscriber requested them (backpressure: nothing is taken from the
     * channel beyond the demand), the subscription completes once the channel is closed and drained, and
     * {@link Flow.Subscription#cancel() cancel} stops it without taking another value.
     *
     * <p>Each subscription is served by a virtual thread of its own, which calls the subscriber's methods one
     * at a time. The channel is a queue, not a broadcast: several subscriptions (or receivers) share its values,
     * each value going to exactly one of them. {@code request(n)} with {@code n <= 0} ends the subscription
     * with {@link IllegalArgumentException}. A subscriber method that throws has its subscription cancelled
     * and the exception reported to the default runtime's error handler.
     *
     * {@snippet :
     * Effect<String, Integer> sum = Concurrency.<String, Integer>make().flatMap(ch -> {
     *     java.util.concurrent.Flow.Publisher<Integer> publisher = ch.second().toPublisher();
     *     CompletableFuture<Integer> total = new CompletableFuture<>();
     *     publisher.subscribe(new java.util.concurrent.Flow.Subscriber<Integer>() {
     *         int acc;
     *         public void onSubscribe(java.util.concurrent.Flow.Subscription s) { s.request(Long.MAX_VALUE); }
     *         public void onNext(Integer x) { acc += x; }
     *         public void onError(Throwable t) { total.completeExceptionally(t); }
     *         public void onComplete() { total.complete(acc); }
     *     });
     *     return ch.first().<String>send(1).then(ch.first().send(2)).then(ch.first().close())
     *             .then(Effect.awaitFuture(total, t -> "stream failed: " + t)); // 3
     * });
     * }
     *
     * @return a publisher; every call returns a new one over the same channel
     */
    Flow.Publisher<A> toPublisher();
}
