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
            return new SendOp<>(channel, value, false);
        }

        @Override
        public <E> Effect<E, Result<ChannelError, Unit>> sendOrClosed(A value) {
            Objects.requireNonNull(value, "sendOrClosed: value must not be null (channels carry no nulls)");
            return new SendOp<>(channel, value, true);
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

        /** The receive effect: it holds nothing per call, so one instance serves every {@link #recv()}. */
        private final RecvOp<Object, A> recv;

        ReceiverHandle(Channel<A> channel) {
            this.channel = channel;
            this.recv = new RecvOp<>(channel);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <E> Effect<E, Result<ChannelError, A>> recv() {
            return (Effect<E, Result<ChannelError, A>>) recv;
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
            return new ForEachLoop<E, A>(channel, f).loop;
        }

        @Override
        public <E, S> Effect<E, S> fold(S initial, BiFunction<? super S, ? super A, ? extends S> f) {
            Objects.requireNonNull(f, "Receiver.fold: f must not be null");
            return new FoldOp<>(channel, initial, f);
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
            return blockingIterator(channel::receiveOrNull);
        }

        @Override
        public Stream<A> stream() {
            return streamOf(iterator());
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

    // The channel operations as run-loop steps (Node.Op). Each first tries to complete without waiting
    // (trySend / tryReceive: no lambda, no Exit, no wait bookkeeping); only when it would have to wait does it
    // enter the fiber's one wait loop (Fiber.blockFor), which re-runs the blocking engine call and handles
    // cancellation and stray interrupts. A completed attempt is linearized in the engine's critical section,
    // exactly as the blocking call would have been, so the fast path changes no outcome; the cancellation
    // check before it is the run loop's (or Direct.await's) check before every step.
    //
    // A send or receive followed by flatMap or then is built as one node with its continuation (SendThen,
    // RecvThen: Node.OpThen), so a loop written send(x).flatMap(u -> loop(...)) allocates one node per step, not
    // two. The fused node runs the same step (send, receive) and then the function, exactly where the run loop
    // ran FlatMap(op, f); forEach's loop is one such node too.

    /** {@code send} ({@code orClosed == false}: a closed channel is a defect) and {@code sendOrClosed}. */
    static final class SendOp<E, A, R> extends Node.Op<E, R> {
        private final Channel<A> channel;
        private final A value;
        private final boolean orClosed;

        SendOp(Channel<A> channel, A value, boolean orClosed) {
            this.channel = channel;
            this.value = value;
            this.orClosed = orClosed;
        }

        @Override
        Object step(Fiber fiber) {
            return send(fiber, channel, value, orClosed);
        }

        @Override
        <B> Effect<E, B> fuse(Function<? super R, ? extends Effect<E, B>> f) {
            return new SendThen<>(this, f);
        }
    }

    /** {@code send(value).flatMap(f)} as one node (see {@link Node.OpThen}). */
    static final class SendThen<E, A, R, B> extends Node.OpThen<E, R, B> {
        // The send's fields, copied rather than referenced: the SendOp then dies at once (where the JIT inlines
        // send and flatMap into the caller, it is never allocated).
        private final Channel<A> channel;
        private final A value;
        private final boolean orClosed;

        SendThen(SendOp<E, A, R> op, Function<? super R, ? extends Effect<E, B>> f) {
            super(f);
            channel = op.channel;
            value = op.value;
            orClosed = op.orClosed;
        }

        @Override
        Object step(Fiber fiber) {
            return send(fiber, channel, value, orClosed);
        }
    }

    /**
     * Sends {@code value} on {@code fiber}: at once if the channel takes it, else through {@link Fiber#blockFor}.
     * Returns {@code Unit} ({@code OK_UNIT} or {@code CLOSED_UNIT} when {@code orClosed}); throws
     * {@link ChannelClosedException} for a plain send on a closed channel, {@link Node.Halt} when cancelled.
     */
    static <A> Object send(Fiber fiber, Channel<A> channel, A value, boolean orClosed) {
        switch (channel.trySend(value)) {
            case DELIVERED -> {
                return orClosed ? OK_UNIT : Unit.UNIT;
            }
            case CLOSED -> {
                if (orClosed) {
                    return CLOSED_UNIT;
                }
                throw new ChannelClosedException("send: the channel was closed; the value was not delivered");
            }
            default -> {
                JfrEvents.ChannelWait wait = JfrEvents.channelWaitBegin();
                boolean spin = mayspin(fiber);
                Exit<Object, Object> e = orClosed
                        ? fiber.blockFor(FiberDump.Activity.SEND, channel,
                                () -> channel.sendOrClosedAfterTry(value, spin) ? OK_UNIT : CLOSED_UNIT)
                        : fiber.blockFor(FiberDump.Activity.SEND, channel, () -> {
                            channel.sendAfterTry(value, spin);
                            return Unit.UNIT;
                        });
                JfrEvents.channelWaitEnd(wait, "send", channel);
                return valueOf(e);
            }
        }
    }

    /** {@code recv}: {@code Ok(value)}, or the shared {@code Err(CLOSED)} once closed and drained. */
    static final class RecvOp<E, A> extends Node.Op<E, Result<ChannelError, A>> {
        private final Channel<A> channel;

        RecvOp(Channel<A> channel) {
            this.channel = channel;
        }

        @Override
        Object step(Fiber fiber) {
            return received(fiber, channel);
        }

        @Override
        <B> Effect<E, B> fuse(Function<? super Result<ChannelError, A>, ? extends Effect<E, B>> f) {
            return new RecvThen<>(channel, f);
        }
    }

    /** {@code recv().flatMap(f)} as one node (see {@link Node.OpThen}). */
    static final class RecvThen<E, A, B> extends Node.OpThen<E, Result<ChannelError, A>, B> {
        private final Channel<A> channel;

        RecvThen(Channel<A> channel, Function<? super Result<ChannelError, A>, ? extends Effect<E, B>> f) {
            super(f);
            this.channel = channel;
        }

        @Override
        Object step(Fiber fiber) {
            return received(fiber, channel);
        }
    }

    /** {@code recv}'s result on {@code fiber}: {@code Ok(value)}, or the shared {@code Err(CLOSED)}. */
    private static <A> Result<ChannelError, A> received(Fiber fiber, Channel<A> channel) {
        A v = receive(fiber, channel);
        return v != null ? Result.ok(v) : closed();
    }

    /**
     * Receives one value on {@code fiber}: at once if one is ready, else through {@link Fiber#blockFor}.
     * Returns {@code null} when the channel is closed and drained; throws {@link Node.Halt} when cancelled.
     */
    @SuppressWarnings("unchecked")
    static <A> A receive(Fiber fiber, Channel<A> channel) {
        A v = channel.tryReceive();
        if (v != null) {
            return v;
        }
        JfrEvents.ChannelWait wait = JfrEvents.channelWaitBegin();
        boolean spin = mayspin(fiber);
        Exit<Object, A> e = fiber.blockFor(FiberDump.Activity.RECV, channel, () -> channel.receiveOrNullAfterTry(spin));
        JfrEvents.channelWaitEnd(wait, "recv", channel);
        return (A) valueOf(e);
    }

    // Whether a channel wait may spin before it parks. A spin (rendezvous channels and buffers of one, see the
    // engine's SpinPolicy) pays only while the counterpart runs on another CPU right now. With many more live
    // fibers than CPUs it rarely does: the counterpart waits for a carrier behind others, and every spinning
    // waiter, yields included, holds up the fibers queued behind it. The JDK's LinkedTransferQueue asks the carrier
    // whether it has queued work (ForkJoinWorkerThread.hasKnownQueuedWork(), not public API); the runtime's count
    // of live fibers is the cheap proxy we have: one read of a counter that changes only when a fiber starts or
    // ends. It counts parked fibers too, so a runtime with many idle fibers parks its channel waits at once, which
    // is what every buffer larger than one does anyway. Measured (docs/benchmarks.md, stop 22): a chain of 100
    // fibers over rendezvous and one-slot channels got 13-52% faster; 1->1 and 4->4 (at most 10 live fibers)
    // take the same path as before. Select keeps its own spin: it does not ask.

    /** More live fibers than this in the runtime and a channel wait parks at once: 8 per CPU. */
    static final long CROWD = 8L * Runtime.getRuntime().availableProcessors();

    /** Whether a wait of {@code fiber} on a channel may spin before parking (see above). */
    static boolean mayspin(Fiber fiber) {
        return fiber.runtime.liveFibers() <= CROWD;
    }

    private static Object valueOf(Exit<?, ?> e) {
        if (e instanceof Exit.Success<?, ?> s) {
            return s.value();
        }
        throw Node.Halt.of(e);
    }

    /**
     * {@code fold}: one step that receives and folds until the channel is closed and drained. It checks for
     * cancellation after folding each value, before the next receive, exactly where the run loop checks
     * in the equivalent {@code recv().flatMap(r -> fold(f(acc, r), f))} loop (the first receive is preceded
     * by the check before this step).
     */
    static final class FoldOp<E, A, S> extends Node.Op<E, S> {
        private final Channel<A> channel;
        private final S initial;
        private final BiFunction<? super S, ? super A, ? extends S> f;

        FoldOp(Channel<A> channel, S initial, BiFunction<? super S, ? super A, ? extends S> f) {
            this.channel = channel;
            this.initial = initial;
            this.f = f;
        }

        @Override
        Object step(Fiber fiber) {
            S acc = initial;
            for (;;) {
                A v = receive(fiber, channel);
                if (v == null) {
                    return acc;
                }
                acc = f.apply(acc, v);
                if (fiber.cancelSignal && fiber.effectivelyCancelled()) {
                    throw Node.Halt.CANCELLED;
                }
            }
        }
    }

    /**
     * {@code forEach} as one effect that refers to itself: {@code loop = receive.flatMap(v -> f(v).then(loop))},
     * the receive and its continuation one {@link Node.OpThen}. Per value it allocates the user's effect and one
     * node to continue after it (fused with it when it is a send, see {@link Node#flatMapOf}); the receive step
     * yields the raw value (or {@link #END} once closed and drained), so no {@code Result} is made.
     */
    static final class ForEachLoop<E, A> {
        private static final Object END = new Object();
        final Effect<E, Unit> loop;

        @SuppressWarnings({"unchecked", "rawtypes"})
        ForEachLoop(Channel<A> channel, Function<? super A, ? extends Effect<E, ?>> f) {
            Function<Object, Effect<E, Unit>> again = ignored -> self();
            this.loop = new Node.OpThen<E, Object, Unit>(v -> v == END ? Effect.unit()
                    : Node.flatMapOf((Effect<E, Object>) Objects.requireNonNull(f.apply((A) v),
                            "Receiver.forEach: f returned null"), again)) {
                @Override
                Object step(Fiber fiber) {
                    A v = receive(fiber, channel);
                    return v != null ? v : END;
                }
            };
        }

        private Effect<E, Unit> self() {
            return loop;
        }
    }

    /** A blocking receive that yields {@code null} once the channel is closed and drained. */
    @FunctionalInterface
    interface BlockingReceive<A> {
        A receiveOrNull() throws InterruptedException;
    }

    /**
     * The blocking iterator of a receiver, in-memory or backend: {@code hasNext} waits for a value and is false
     * once the channel is closed and drained; an interrupt ends the iteration as cancelled, nothing consumed.
     */
    static <A> Iterator<A> blockingIterator(BlockingReceive<A> receive) {
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
                    next = receive.receiveOrNull();
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

    /** A sequential, ordered stream over a receiver's blocking iterator. */
    static <A> Stream<A> streamOf(Iterator<A> iterator) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator,
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }
}
