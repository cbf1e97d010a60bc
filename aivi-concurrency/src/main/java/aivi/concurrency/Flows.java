package aivi.concurrency;

import aivi.concurrency.internal.channel.Channel;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

// Adapters between channels and java.util.concurrent.Flow (SPEC §4.4), following the Reactive Streams rules.
//
// Receiver -> Publisher (toPublisher). Each subscription gets one virtual thread, the only thread that ever
// signals its subscriber (so signals are serial, rule 1.3; onSubscribe comes first, 1.9). The thread waits for
// demand (parks while `demand` is 0; request() adds with saturation at Long.MAX_VALUE, 3.17, and unparks), then
// receives one value from the channel and hands it to onNext; a closed and drained channel ends it with
// onComplete. request(n <= 0) ends it with onError(IllegalArgumentException), 3.9. The channel is a queue,
// not a broadcast: several subscriptions share its values, each value going to exactly one of them.
//   Cancellation (3.5, 3.7: idempotent) sets `cancelled`, unparks the thread, and interrupts it only while it
// waits in the channel's receive: the `receiving` flag and the interrupt are both handled under `lock`, and
// the thread clears a stray interrupt under the same lock once the receive has returned, so user code
// (onNext) never sees an interrupt from us. cancel() then waits (one wake-up) until the thread has left the
// receive, so once cancel() returns this subscription takes nothing more from the channel. The channel's
// receive takes nothing when interrupted; a value it took just as the interrupt arrived (the channel keeps a
// committed transfer) is still delivered with onNext, never dropped (rule 1.8 allows a last signal).
// A subscriber method that throws breaks rule 2.13: the subscription is cancelled, the throwable reported to
// the default runtime's error handler, and the value it was given is gone (it had left the channel).
//
// Publisher -> Receiver (fromPublisher). Running the effect opens an output rendezvous channel and an
// unbounded internal inbox, subscribes, and spawns a pump fiber in the caller's innermost scope. The
// subscriber requests `buffer` values at first; onNext puts a value into the inbox (trySend, never blocks, so
// the publisher's thread is never held, rule 2.2), and can never overfill it beyond what was requested. The
// pump moves each value from the inbox to the output channel (a send that waits for a consumer: that is the
// backpressure) and requests one more each time a value has been taken. So at most `buffer` values are ever
// requested ahead of the consumer. onComplete closes the inbox: the pump drains it, closes the output channel
// and ends. onError does the same, then the pump dies with the error as its defect, which fails the scope
// (structured: the error is not lost) and, fail-fast, cancels the consumer, which may not have processed the
// last values it received. When the pump is cancelled (its scope ended) it cancels the
// subscription and closes the output channel. A second onSubscribe is cancelled at once (2.5); a null element
// is rejected with NullPointerException (2.13). After onComplete or onError the subscriber calls nothing more
// on the subscription (2.4): `terminated` is set before the inbox is closed, so the pump, which drains the
// inbox afterwards, sees it and neither requests nor cancels. A request(1) that the pump issued just as the
// terminal signal arrived may still reach the publisher after it; rule 3.6 makes that a no-op for it.
final class Flows {
    private Flows() {
    }

    // ------------------------------------------------------------------------------------------------------
    // toPublisher

    /** What a publisher receives from: the in-memory engine, or a channel implemented elsewhere. */
    interface Source<A> {
        /** The next value, or {@code null} once closed and drained; throws only when nothing was taken. */
        A receiveOrNull() throws InterruptedException;

        /** Whether the source is closed and drained. */
        boolean isClosedForReceive();
    }

    static <A> Flow.Publisher<A> toPublisher(Channel<A> channel) {
        return toPublisher(channel.toString(), new Source<>() {
            @Override
            public A receiveOrNull() throws InterruptedException {
                return channel.receiveOrNull();
            }

            @Override
            public boolean isClosedForReceive() {
                return channel.isClosedForReceive();
            }
        });
    }

    static <A> Flow.Publisher<A> toPublisher(String name, Source<A> channel) {
        return subscriber -> {
            Objects.requireNonNull(subscriber, "Receiver.toPublisher: subscriber must not be null (rule 1.9)");
            ChannelSubscription<A> s = new ChannelSubscription<>(channel, subscriber);
            Thread t = Thread.ofVirtual().name("aivi-publisher-" + name).unstarted(s);
            s.thread = t;
            t.start();
        };
    }

    private static final class ChannelSubscription<A> implements Flow.Subscription, Runnable {
        private final Source<A> channel;
        private final Flow.Subscriber<? super A> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final ReentrantLock lock = new ReentrantLock();
        /** Signalled when the thread leaves the channel's receive. */
        private final java.util.concurrent.locks.Condition leftReceive = lock.newCondition();
        private volatile boolean cancelled;
        /** A request(n <= 0) seen ({@link #badRequested}); reported by the delivering thread (it alone signals). */
        private volatile boolean badRequested;
        private volatile long badRequest;
        /** Whether the thread is inside the channel's receive; guarded by {@link #lock}. */
        private boolean receiving;
        /** Set before the thread starts. */
        Thread thread;

        ChannelSubscription(Source<A> channel, Flow.Subscriber<? super A> subscriber) {
            this.channel = channel;
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            if (cancelled) {
                return; // rule 3.6
            }
            if (n <= 0) {
                badRequest = n;
                badRequested = true; // after badRequest: the reader checks this flag, then reads the value
            } else {
                demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            }
            LockSupport.unpark(thread);
        }

        @Override
        public void cancel() {
            lock.lock();
            try {
                cancelled = true;
                if (receiving && Thread.currentThread() != thread) {
                    thread.interrupt(); // wakes the receive, which then takes nothing
                    while (receiving) {
                        leftReceive.awaitUninterruptibly(); // a wake-up away: afterwards nothing more is taken
                    }
                }
            } finally {
                lock.unlock();
            }
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            try {
                subscriber.onSubscribe(this);
                for (;;) {
                    if (cancelled) {
                        return;
                    }
                    if (badRequested) {
                        cancelled = true;
                        subscriber.onError(new IllegalArgumentException(
                                "Flow.Subscription.request: n must be > 0, was " + badRequest + " (rule 3.9)"));
                        return;
                    }
                    if (demand.get() == 0) {
                        LockSupport.park(this);
                        continue;
                    }
                    A value = receive();
                    if (value == null) {
                        if (cancelled) {
                            return;
                        }
                        if (channel.isClosedForReceive()) {
                            cancelled = true;
                            subscriber.onComplete();
                            return;
                        }
                        continue; // a wake-up without a value: look at the flags again
                    }
                    demand.decrementAndGet();
                    subscriber.onNext(value);
                }
            } catch (Throwable t) {
                cancelled = true;
                EffectRuntime.defaultRuntime().reportUnobserved(
                        "a Flow.Subscriber of Receiver.toPublisher threw (rule 2.13); its subscription is cancelled", t);
            }
        }

        /** The next value, or {@code null} if the channel is drained and closed or the wait was cancelled. */
        private A receive() {
            lock.lock();
            try {
                if (cancelled) {
                    return null;
                }
                receiving = true;
            } finally {
                lock.unlock();
            }
            A value;
            try {
                value = channel.receiveOrNull();
            } catch (InterruptedException e) {
                value = null;
            } finally {
                lock.lock();
                try {
                    receiving = false;
                    Thread.interrupted(); // a cancel's interrupt, sent while receiving, must not reach onNext
                    leftReceive.signalAll();
                } finally {
                    lock.unlock();
                }
            }
            return value;
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // fromPublisher

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <E, A> Effect<E, Receiver<A>> fromPublisher(Flow.Publisher<? extends A> publisher, int buffer) {
        return new Node.Prim<>(fiber -> {
            Channel<A> out = Channel.rendezvous();
            Channel<A> inbox = Channel.unbounded();
            Bridge<A> bridge = new Bridge<>(inbox, buffer);
            Effect<E, Unit> pump = Flows.<E, A>pump(bridge, out).onExit(exit -> Effect.sync(() -> {
                bridge.cancelUpstream();
                out.close();
                return Unit.UNIT;
            }));
            // The pump starts before the subscription, so a publisher that signals synchronously inside
            // subscribe() only fills the inbox.
            fiber.innermostScope().start(fiber, pump);
            ((Flow.Publisher<A>) publisher).subscribe(bridge);
            return Exit.success((Receiver<A>) new ChannelHandles.ReceiverHandle<>(out));
        });
    }

    private static <E, A> Effect<E, Unit> pump(Bridge<A> bridge, Channel<A> out) {
        return new Node.Prim<E, Unit>(fiber -> {
            for (;;) {
                Exit<E, A> next = fiber.blockFor(FiberDump.Activity.RECV, bridge.inbox, bridge.inbox::receiveOrNull);
                if (!(next instanceof Exit.Success<E, A> ok)) {
                    return (Exit) next;
                }
                A value = ok.value();
                if (value == null) { // upstream ended and everything it sent was handed on
                    out.close();
                    Throwable error = bridge.error;
                    return error == null ? Exit.success(Unit.UNIT) : Exit.defect(error);
                }
                Exit<E, Unit> sent = fiber.blockFor(FiberDump.Activity.SEND, out, () -> {
                    out.send(value);
                    return Unit.UNIT;
                });
                if (!(sent instanceof Exit.Success)) {
                    return sent;
                }
                bridge.requestOne();
            }
        });
    }

    /** The subscriber side of {@link #fromPublisher}. */
    private static final class Bridge<A> implements Flow.Subscriber<A> {
        final Channel<A> inbox;
        private final int buffer;
        private volatile Flow.Subscription subscription;
        private final AtomicBoolean subscribed = new AtomicBoolean();
        private volatile boolean cancelled;
        /** Whether onComplete or onError arrived: the subscription is over (rule 2.4), nothing more is called on it. */
        private volatile boolean terminated;
        /** The upstream error; written before the inbox is closed, read by the pump after it drained. */
        volatile Throwable error;

        Bridge(Channel<A> inbox, int buffer) {
            this.inbox = inbox;
            this.buffer = buffer;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            Objects.requireNonNull(s, "Flow.Subscriber.onSubscribe: subscription must not be null (rule 2.13)");
            if (!subscribed.compareAndSet(false, true)) {
                s.cancel(); // rule 2.5: one subscription only
                return;
            }
            subscription = s;
            if (cancelled) {
                s.cancel();
            } else {
                s.request(buffer);
            }
        }

        @Override
        public void onNext(A item) {
            Objects.requireNonNull(item, "Flow.Subscriber.onNext: item must not be null (rule 2.13)");
            inbox.trySend(item); // unbounded, never full; after a cancel the inbox is closed and drops it
        }

        @Override
        public void onError(Throwable t) {
            Objects.requireNonNull(t, "Flow.Subscriber.onError: throwable must not be null (rule 2.13)");
            error = t;
            terminated = true;
            inbox.close();
        }

        @Override
        public void onComplete() {
            terminated = true;
            inbox.close();
        }

        void requestOne() {
            Flow.Subscription s = subscription;
            if (s != null && !cancelled && !terminated) {
                s.request(1);
            }
        }

        void cancelUpstream() {
            cancelled = true;
            inbox.close();
            Flow.Subscription s = subscription;
            if (s != null && !terminated) {
                s.cancel();
            }
        }
    }
}
