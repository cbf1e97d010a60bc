package aivi.concurrency;

import aivi.concurrency.internal.spi.ChannelBackend;
import aivi.concurrency.internal.spi.ChannelBackends;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@link Sender} and {@link Receiver} over a {@link ChannelBackend} (a channel implemented by an integration
 * module, such as a distributed queue), bridged to fibers as {@link ChannelHandles} bridges the in-memory
 * engine: a fiber's interrupt either ends the operation {@code Cancelled} with nothing transferred, or is a
 * stray wake-up and the call is retried.
 */
final class BackendHandles {
    static {
        ChannelBackends.install(new ChannelBackends.Hooks() {
            @Override
            public <A> Pair<Sender<A>, Receiver<A>> open(ChannelBackend<A> backend) {
                return new Pair<>(new BackendSender<>(backend), new BackendReceiver<>(backend));
            }

            @Override
            public <E, T> Effect<E, T> blocking(ChannelBackends.BlockingCall<T> call) {
                return new Node.Prim<>(fiber -> blockOutside(fiber, call::call));
            }
        });
    }

    // A backend's wait is real I/O that another process can end (a send on another machine), so it is not a
    // library wait: TestRuntime must not count such a fiber as idle (it would move virtual time, or report a
    // deadlock, while a remote member is about to send), and dumps show it as running. Hence the same
    // cancellation loop as Fiber.blockFor, without its wait accounting.
    private static <E, T> Exit<E, T> blockOutside(Fiber fiber, Fiber.Interruptible<T> op) {
        for (;;) {
            if (fiber.effectivelyCancelled()) {
                return RunLoop.cancelled();
            }
            try {
                return Exit.success(op.call());
            } catch (InterruptedException e) {
                // the flag is now clear: loop to tell a cancellation from a stray interrupt
            }
        }
    }

    private BackendHandles() {
    }

    private static final Result<ChannelError, Unit> OK_UNIT = Result.ok(Unit.UNIT);

    static final class BackendSender<A> implements Sender<A> {
        final ChannelBackend<A> backend;

        BackendSender(ChannelBackend<A> backend) {
            this.backend = backend;
        }

        @Override
        public <E> Effect<E, Unit> send(A value) {
            Objects.requireNonNull(value, "send: value must not be null (channels carry no nulls)");
            return new Node.Prim<>(fiber -> blockOutside(fiber, () -> {
                if (!backend.send(value)) {
                    throw new ChannelClosedException("send: the channel " + backend
                            + " was closed; the value was not delivered");
                }
                return Unit.UNIT;
            }));
        }

        @Override
        public <E> Effect<E, Result<ChannelError, Unit>> sendOrClosed(A value) {
            Objects.requireNonNull(value, "sendOrClosed: value must not be null (channels carry no nulls)");
            return new Node.Prim<>(fiber -> blockOutside(fiber,
                    () -> backend.send(value) ? OK_UNIT : ChannelHandles.<Unit>closed()));
        }

        @Override
        public Result<ChannelError, Boolean> trySend(A value) {
            Objects.requireNonNull(value, "trySend: value must not be null (channels carry no nulls)");
            return backend.trySend(value);
        }

        @Override
        public <E> Effect<E, Unit> close() {
            return new Node.Prim<>(fiber -> {
                backend.close();
                return Exit.success(Unit.UNIT);
            });
        }

        @Override
        public boolean isClosed() {
            return backend.isClosed();
        }

        @Override
        public int size() {
            return backend.size();
        }

        @Override
        public int capacity() {
            return backend.capacity();
        }

        @Override
        public String toString() {
            return "Sender[" + backend + "]";
        }
    }

    static final class BackendReceiver<A> implements Receiver<A> {
        final ChannelBackend<A> backend;

        BackendReceiver(ChannelBackend<A> backend) {
            this.backend = backend;
        }

        @Override
        public <E> Effect<E, Result<ChannelError, A>> recv() {
            return new Node.Prim<>(fiber -> blockOutside(fiber, () -> {
                A v = backend.receive();
                return v != null ? Result.ok(v) : ChannelHandles.closed();
            }));
        }

        @Override
        public Optional<Result<ChannelError, A>> tryRecv() {
            return backend.tryReceive();
        }

        @Override
        public boolean isClosedForReceive() {
            // Closed first, then empty: once closed no value can enter, so an empty buffer stays empty.
            return backend.isClosed() && backend.size() == 0;
        }

        @Override
        public int size() {
            return backend.size();
        }

        @Override
        public int capacity() {
            return backend.capacity();
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
        public Iterator<A> iterator() {
            return ChannelHandles.blockingIterator(backend::receive);
        }

        @Override
        public Stream<A> stream() {
            return ChannelHandles.streamOf(iterator());
        }

        @Override
        public java.util.concurrent.Flow.Publisher<A> toPublisher() {
            return Flows.toPublisher(backend.toString(), new Flows.Source<>() {
                private volatile boolean drained; // a null from receive: closed and drained, for good

                @Override
                public A receiveOrNull() throws InterruptedException {
                    A v = backend.receive();
                    if (v == null) {
                        drained = true;
                    }
                    return v;
                }

                @Override
                public boolean isClosedForReceive() {
                    return drained;
                }
            });
        }

        @Override
        public String toString() {
            return "Receiver[" + backend + "]";
        }
    }
}
