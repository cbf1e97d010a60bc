package aivi.concurrency;

import aivi.concurrency.internal.channel.Channel;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The public {@link Sender} and {@link Receiver} handles over the channel engine
 * ({@link Channel}), and the bridge between the engine's blocking, interrupt-based API and fibers.
 *
 * <p><b>Cancellation.</b> The engine's blocking calls throw {@link InterruptedException} only when nothing
 * was transferred. A fiber's interrupt is a wake-up (ADR 0001): after one, {@link Fiber#blockFor} asks the
 * fiber whether it is effectively cancelled; if so the operation ends {@code Cancelled} (nothing
 * transferred), otherwise the interrupt was stray and the operation is simply retried. When a transfer
 * committed as the interrupt arrived, the engine returns normally: the value is kept and the run loop observes the
 * cancellation before the next step.
 */
final class ChannelHandles {
    private ChannelHandles() {
    }

    static <A> Pair<Sender<A>, Receiver<A>> open(Channel<A> ch) {
        return new Pair<>(new SenderHandle<>(ch), new ReceiverHandle<>(ch));
    }

    static final class SenderHandle<A> implements Sender<A> {
        final Channel<A> channel;

        SenderHandle(Channel<A> channel) {
            this.channel = channel;
        }

        @Override
        public <E> Effect<E, Unit> send(A value) {
            Objects.requireNonNull(value, "send: value must not be null (channels carry no nulls)");
            return new Node.Prim<>(fiber -> {
                JfrEvents.ChannelWait wait = JfrEvents.channelWaitBegin();
                Exit<E, Unit> exit = fiber.blockFor(FiberDump.Activity.SEND, channel, () -> {
                    channel.send(value);
                    return Unit.UNIT;
                });
                JfrEvents.channelWaitEnd(wait, "send", channel);
                return exit;
            });
        }

        @Override
        public <E> Effect<E, Result<ChannelError, Unit>> sendOrClosed(A value) {
            Objects.requireNonNull(value, "sendOrClosed: value must not be null (channels carry no nulls)");
            return new Node.Prim<>(fiber -> {
                JfrEvents.ChannelWait wait = JfrEvents.channelWaitBegin();
                Exit<E, Result<ChannelError, Unit>> exit = fiber.blockFor(FiberDump.Activity.SEND, channel,
                        () -> channel.sendOrClosed(value) ? OK_UNIT : CLOSED_UNIT);
                JfrEvents.channelWaitEnd(wait, "send", channel);
                return exit;
            });
        }

        @Override
        public Result<ChannelError, Boolean> trySend(A value) {
            Objects.requireNonNull(value, "trySend: value must not be null (channels carry no nulls)");
            return switch (channel.trySend(value)) {
                case DELIVERED -> OK_TRUE;
                case FULL -> OK_FALSE;
                case CLOSED -> Result.err(ChannelError.CLOSED);
            };
        }

        @Override
        public <E> Effect<E, Unit> close() {
            return new Node.Prim<>(fiber -> {
                channel.close();
                return Exit.success(Unit.UNIT);
            });
        }

        @Override
        public boolean isClosed() {
            return channel.isClosedForSend();
        }

        @Override
        public int size() {
            return channel.size();
        }

        @Override
        public int capacity() {
            return publicCapacity(channel);
        }

        @Override
        public String toString() {
            return "Sender[" + channel + "]";
        }
    }

    private static final Result<ChannelError, Unit> OK_UNIT = Result.ok(Unit.UNIT);
    private static final Result<ChannelError, Unit> CLOSED_UNIT = Result.err(ChannelError.CLOSED);
    private static final Result<ChannelError, Boolean> OK_TRUE = Result.ok(true);
    private static final Result<ChannelError, Boolean> OK_FALSE = Result.ok(false);

    /** The engine's capacity as the public API states it: {@code Integer.MAX_VALUE} for unbounded. */
    static int publicCapacity(Channel<?> channel) {
        int c = channel.capacity();
        return c == Channel.UNBOUNDED ? Integer.MAX_VALUE : c;
    }

    @SuppressWarnings("unchecked")
    static <A> Result<ChannelError, A> closed() {
        return (Result<ChannelError, A>) (Result<ChannelError, ?>) CLOSED_UNIT;
    }

    static final class ReceiverHandle<A> implements Receiver<A> {
        final Channel<A> channel;

        ReceiverHandle(Channel<A> channel) {
            this.channel = channel;
        }

        @Override
        public <E> Effect<E, Result<ChannelError, A>> recv() {
            return new Node.Prim<>(fiber -> {
                JfrEvents.ChannelWait wait = JfrEvents.channelWaitBegin();
                Exit<E, Result<ChannelError, A>> exit = fiber.blockFor(FiberDump.Activity.RECV, channel, () -> {
                    A v = channel.receiveOrNull();
                    return v != null ? Result.ok(v) : closed();
                });
                JfrEvents.channelWaitEnd(wait, "recv", channel);
                return exit;
            });
        }

        @Override
        public Optional<Result<ChannelError, A>> tryRecv() {
            A v = channel.tryReceive();
            if (v != null) {
                return Optional.of(Result.ok(v));
            }
            return channel.isClosedForReceive() ? Optional.of(closed()) : Optional.empty();
        }

        @Override
        public <E> Effect<E, Unit> forEach(Function<? super A, ? extends Effect<E, ?>> f) {
            Objects.requireNonNull(f, "Receiver.forEach: f must not be null");
            return this.<E>recv().flatMap(r -> switch (r) {
                case Result.Ok<ChannelError, A> ok -> Objects.requireNonNull(f.apply(ok.value()),
                        "Receiver.forEach: f returned null").then(forEach(f));
                case Result.Err<ChannelError, A> err -> Effect.unit();
            });
        }

        @Override
        public <E, S> Effect<E, S> fold(S initial, BiFunction<? super S, ? super A, ? extends S> f) {
            Objects.requireNonNull(f, "Receiver.fold: f must not be null");
            return this.<E>recv().flatMap(r -> switch (r) {
                case Result.Ok<ChannelError, A> ok -> fold(f.apply(initial, ok.value()), f);
                case Result.Err<ChannelError, A> err -> Effect.succeed(initial);
            });
        }

        @Override
        public boolean isClosedForReceive() {
            return channel.isClosedForReceive();
        }

        @Override
        public int size() {
            return channel.size();
        }

        @Override
        public int capacity() {
            return publicCapacity(channel);
        }

        @Override
        public Iterator<A> iterator() {
            return new Iterator<>() {
                private A next;
                private boolean done;

                @Override
                public boolean hasNext() {
                    if (next != null) {
                        return true;
                    }
                    if (done) {
                        return false;
                    }
                    try {
                        next = channel.receiveOrNull();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt(); // keep the wake-up for the fiber / the caller
                        throw new CancelledException("Receiver iteration interrupted; nothing was consumed");
                    }
                    if (next == null) {
                        done = true;
                        return false;
                    }
                    return true;
                }

                @Override
                public A next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException("the channel is closed and drained");
                    }
                    A v = next;
                    next = null;
                    return v;
                }
            };
        }

        @Override
        public Stream<A> stream() {
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                    Spliterator.ORDERED | Spliterator.NONNULL), false);
        }

        @Override
        public java.util.concurrent.Flow.Publisher<A> toPublisher() {
            return Flows.toPublisher(channel);
        }

        @Override
        public String toString() {
            return "Receiver[" + channel + "]";
        }
    }
}
