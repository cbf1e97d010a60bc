package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SPEC §4.4: channels to and from {@link Flow}, checked against the Reactive Streams rules they rely on
 * (numbers as in the specification: 1.x publisher, 2.x subscriber, 3.x subscription).
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FlowTest {

    private static final long WAIT = TestFibers.GENEROUS.toMillis();

    /** A channel filled with {@code values}, optionally closed. */
    private static Pair<Sender<Integer>, Receiver<Integer>> channel(boolean close, int... values) {
        Pair<Sender<Integer>, Receiver<Integer>> ch = Concurrency.<String, Integer>make().runOrThrow();
        for (int v : values) {
            assertThat(ch.first().trySend(v)).isEqualTo(Result.ok(true));
        }
        if (close) {
            ch.first().<String>close().runOrThrow();
        }
        return ch;
    }

    /** Records every signal; requests nothing by itself. */
    private static final class Recorder implements Flow.Subscriber<Integer> {
        final LinkedBlockingQueue<Object> signals = new LinkedBlockingQueue<>();
        volatile Flow.Subscription subscription;
        final CountDownLatch subscribed = new CountDownLatch(1);

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            signals.add("subscribe");
            subscribed.countDown();
        }

        @Override
        public void onNext(Integer item) {
            signals.add(item);
        }

        @Override
        public void onError(Throwable t) {
            signals.add(t);
        }

        @Override
        public void onComplete() {
            signals.add("complete");
        }

        Object next() throws InterruptedException {
            Object s = signals.poll(WAIT, TimeUnit.MILLISECONDS);
            assertThat(s).as("a signal within %d ms", WAIT).isNotNull();
            return s;
        }

        Flow.Subscription awaitSubscription() throws InterruptedException {
            TestFibers.await(subscribed, "onSubscribe");
            return subscription;
        }
    }

    // ---- Receiver.toPublisher --------------------------------------------------------------------------------

    @Test
    void toPublisherTakesOnlyWhatWasRequestedAndACancelLeavesTheRestInTheChannel() throws InterruptedException {
        var ch = channel(false, 1, 2, 3, 4, 5);
        Recorder r = new Recorder();
        ch.second().toPublisher().subscribe(r);
        Flow.Subscription s = r.awaitSubscription();
        assertThat(r.next()).isEqualTo("subscribe"); // rule 1.9: onSubscribe first
        s.request(2);
        assertThat(r.next()).isEqualTo(1);
        assertThat(r.next()).isEqualTo(2);
        s.request(1);
        assertThat(r.next()).isEqualTo(3);
        s.cancel();
        s.cancel(); // rule 3.7: idempotent
        s.request(10); // rule 3.6: a no-op after cancel
        // rule 1.1: nothing beyond the demand left the channel
        assertThat(ch.second().tryRecv()).contains(Result.ok(4));
        assertThat(ch.second().tryRecv()).contains(Result.ok(5));
        assertThat(r.signals).isEmpty();
    }

    @Test
    void toPublisherCompletesOnceTheChannelIsClosedAndDrained() throws InterruptedException {
        var ch = channel(true, 7, 8);
        Recorder r = new Recorder();
        ch.second().toPublisher().subscribe(r);
        r.awaitSubscription().request(Long.MAX_VALUE);
        r.subscription.request(Long.MAX_VALUE); // rule 3.17: demand saturates, no overflow
        assertThat(List.of(r.next(), r.next(), r.next(), r.next())).containsExactly("subscribe", 7, 8, "complete");
    }

    @Test
    void toPublisherOfAnEmptyClosedChannelCompletesWithoutDemand() throws InterruptedException {
        var ch = channel(true);
        Recorder r = new Recorder();
        ch.second().toPublisher().subscribe(r);
        r.awaitSubscription().request(1);
        assertThat(List.of(r.next(), r.next())).containsExactly("subscribe", "complete");
    }

    @Test
    void aNonPositiveRequestEndsTheSubscriptionWithIllegalArgumentException() throws InterruptedException {
        var ch = channel(false, 1);
        Recorder r = new Recorder();
        ch.second().toPublisher().subscribe(r);
        r.awaitSubscription().request(0);
        assertThat(r.next()).isEqualTo("subscribe");
        assertThat(r.next()).isInstanceOfSatisfying(IllegalArgumentException.class,
                e -> assertThat(e).hasMessageContaining("was 0").hasMessageContaining("3.9"));
        assertThat(ch.second().tryRecv()).contains(Result.ok(1)); // nothing taken
    }

    @Test
    void aCancelWhileWaitingOnAnEmptyChannelTakesNothing() throws InterruptedException {
        var ch = channel(false);
        Recorder r = new Recorder();
        ch.second().toPublisher().subscribe(r);
        Flow.Subscription s = r.awaitSubscription();
        s.request(5); // the publisher's thread now waits in the channel's receive
        s.cancel();
        assertThat(ch.first().trySend(42)).isEqualTo(Result.ok(true));
        assertThat(ch.second().tryRecv()).contains(Result.ok(42));
        assertThat(r.signals).containsExactly("subscribe");
    }

    @Test
    void subscribersShareTheValuesEachValueGoingToExactlyOne() throws InterruptedException {
        int n = 2_000;
        var ch = channel(false);
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        CountDownLatch completed = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            ch.second().toPublisher().subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(Integer item) {
                    seen.add(item);
                    deliveries.incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                    throw new AssertionError(t);
                }

                @Override
                public void onComplete() {
                    completed.countDown();
                }
            });
        }
        for (int i = 0; i < n; i++) {
            ch.first().<String>send(i).runOrThrow();
        }
        ch.first().<String>close().runOrThrow();
        TestFibers.await(completed, "both subscriptions to complete");
        assertThat(deliveries).hasValue(n);
        assertThat(seen).hasSize(n);
    }

    @Test
    void aSubscriberThatThrowsHasItsSubscriptionCancelled() throws InterruptedException {
        var ch = channel(false, 1, 2, 3);
        CountDownLatch threw = new CountDownLatch(1);
        ch.second().toPublisher().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Integer item) {
                threw.countDown();
                throw new IllegalStateException("subscriber bug (expected in this test)");
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        TestFibers.await(threw, "onNext to throw");
        // the value it was given is gone (rule 2.13 was broken); the others stay in the channel
        assertThat(Concurrency.<String, Integer>recv(ch.second()).runOrThrow()).isEqualTo(Result.ok(2));
        assertThat(Concurrency.<String, Integer>recv(ch.second()).runOrThrow()).isEqualTo(Result.ok(3));
    }

    @Test
    void subscribeRejectsNull() {
        assertThatThrownBy(() -> channel(true).second().toPublisher().subscribe(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("1.9");
    }

    // ---- Concurrency.fromPublisher -----------------------------------------------------------------------------

    @Test
    void fromPublisherReceivesEveryValueOfASubmissionPublisherInOrder() {
        Effect<String, List<Integer>> e = Concurrency.scope(s -> {
            SubmissionPublisher<Integer> pub = new SubmissionPublisher<>();
            return Concurrency.<String, Integer>fromPublisher(pub, 8).flatMap(in -> Effect.<String, Unit>sync(() -> {
                Thread.ofVirtual().start(() -> {
                    IntStream.rangeClosed(1, 500).forEach(pub::submit); // blocks while the buffer is full
                    pub.close();
                });
                return Unit.UNIT;
            }).then(in.fold(new ArrayList<Integer>(), (acc, x) -> {
                acc.add(x);
                return acc;
            })));
        });
        assertThat(e.runOrThrow()).containsExactlyElementsOf(IntStream.rangeClosed(1, 500).boxed().toList());
    }

    /** A synchronous publisher of 0, 1, 2, ... that records the demand and the cancellation. */
    private static final class CountingPublisher implements Flow.Publisher<Integer> {
        final AtomicLong requested = new AtomicLong();
        final CountDownLatch cancelled = new CountDownLatch(1);
        final int limit;
        final Throwable errorAtLimit;
        int next;

        CountingPublisher(int limit, Throwable errorAtLimit) {
            this.limit = limit;
            this.errorAtLimit = errorAtLimit;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super Integer> s) {
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    requested.addAndGet(n);
                    for (long i = 0; i < n && next < limit; i++) {
                        s.onNext(next++);
                    }
                    if (next == limit) {
                        next++;
                        if (errorAtLimit != null) {
                            s.onError(errorAtLimit);
                        } else {
                            s.onComplete();
                        }
                    }
                }

                @Override
                public void cancel() {
                    cancelled.countDown();
                }
            });
        }
    }

    @Test
    void fromPublisherRequestsAtMostBufferAheadOfTheConsumer() {
        CountingPublisher pub = new CountingPublisher(1_000_000, null);
        Effect<String, Pair<List<Integer>, Long>> e = Concurrency.scope(s ->
                Concurrency.<String, Integer>fromPublisher(pub, 4).flatMap(in -> Effect.gen(d -> {
                    List<Integer> got = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        got.add(d.await(Concurrency.<String, Integer>recv(in)).orElse(-1));
                        assertThat(pub.requested.get()).as("requested after %d taken", i + 1).isLessThanOrEqualTo(i + 1 + 4);
                    }
                    return new Pair<>(got, pub.requested.get());
                })));
        Pair<List<Integer>, Long> result = e.runOrThrow();
        assertThat(result.first()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(result.second()).isBetween(10L, 14L);
        assertThat(pub.cancelled.getCount()).as("the scope's end cancelled the subscription").isZero();
    }

    @Test
    void anUpstreamErrorDeliversWhatCameBeforeThenFailsTheScopeWithIt() {
        IllegalStateException upstream = new IllegalStateException("upstream broke");
        CountingPublisher pub = new CountingPublisher(3, upstream);
        List<Object> got = new ArrayList<>();
        Exit<String, Unit> exit = Concurrency.scope(s -> Concurrency.<String, Integer>fromPublisher(pub, 2)
                .flatMap(in -> in.<String>forEach(x -> Effect.sync(() -> got.add(x))))).run();
        assertThat(exit).isEqualTo(Exit.defect(upstream));
        // fail-fast: the consumer may be cancelled before it processed the last value it received
        assertThat(got).startsWith(0, 1).hasSizeLessThanOrEqualTo(3);
        assertThat(List.<Object>of(0, 1, 2).subList(0, got.size())).isEqualTo(got);
    }

    @Test
    void aSecondOnSubscribeIsCancelled() {
        CountDownLatch secondCancelled = new CountDownLatch(1);
        Flow.Publisher<Integer> twice = s -> {
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    throw new AssertionError("rule 2.5: the second subscription must not be used");
                }

                @Override
                public void cancel() {
                    secondCancelled.countDown();
                }
            });
            s.onComplete();
        };
        Exit<String, Result<ChannelError, Integer>> exit = Concurrency.scope(sc -> Concurrency.<String, Integer>fromPublisher(twice, 1)
                .flatMap(in -> Concurrency.recv(in))).run();
        assertThat(exit).isEqualTo(Exit.success(Result.err(ChannelError.CLOSED)));
        assertThat(secondCancelled.getCount()).isZero();
    }

    @Test
    void aRoundTripThroughFlowKeepsEveryValueInOrder() {
        Effect<String, Integer> e = Concurrency.scope(s -> Concurrency.<String, Integer>makeBounded(3).flatMap(ch -> {
            Effect<String, Unit> produce = Effect.gen(d -> {
                for (int i = 1; i <= 100; i++) {
                    d.await(Concurrency.send(ch.first(), i));
                }
                return d.await(Concurrency.close(ch.first()));
            });
            return s.spawn(produce).then(Concurrency.<String, Integer>fromPublisher(ch.second().toPublisher(), 5))
                    .flatMap(in -> in.<String, Integer>fold(0, (acc, x) -> {
                        assertThat(x).isEqualTo(acc + 1); // in order
                        return x;
                    }));
        }));
        assertThat(e.runOrThrow()).isEqualTo(100);
    }

    /**
     * Signals three values and then its terminal signal as soon as the first demand arrives, and records every
     * call its subscriber makes on the subscription after that: rule 2.4 says there must be none.
     */
    private static final class TerminatingPublisher implements Flow.Publisher<Integer> {
        final List<String> afterTerminal = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Throwable error;
        volatile boolean terminated;

        TerminatingPublisher(Throwable error) {
            this.error = error;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super Integer> s) {
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    if (terminated) {
                        afterTerminal.add("request(" + n + ")");
                        return;
                    }
                    terminated = true;
                    for (int i = 1; i <= 3; i++) {
                        s.onNext(i);
                    }
                    if (error == null) {
                        s.onComplete();
                    } else {
                        s.onError(error);
                    }
                }

                @Override
                public void cancel() {
                    if (terminated) {
                        afterTerminal.add("cancel()");
                    }
                }
            });
        }
    }

    @Test
    void fromPublisherCallsNothingOnTheSubscriptionAfterOnComplete() {
        TerminatingPublisher pub = new TerminatingPublisher(null);
        // the consumer drains the three values after the publisher completed: each one taken must not request
        Exit<String, Integer> exit = Concurrency.scope(s -> Concurrency.<String, Integer>fromPublisher(pub, 4)
                .flatMap(in -> in.<String, Integer>fold(0, Integer::sum))).run();
        assertThat(exit).isEqualTo(Exit.success(6));
        assertThat(pub.afterTerminal).as("calls on the subscription after onComplete (rule 2.4)").isEmpty();
    }

    @Test
    void fromPublisherCallsNothingOnTheSubscriptionAfterOnError() {
        IllegalStateException upstream = new IllegalStateException("upstream failed");
        TerminatingPublisher pub = new TerminatingPublisher(upstream);
        Exit<String, Unit> exit = Concurrency.scope(s -> Concurrency.<String, Integer>fromPublisher(pub, 4)
                .flatMap(in -> in.<String>forEach(x -> Effect.unit()))).run();
        assertThat(exit).isEqualTo(Exit.defect(upstream));
        assertThat(pub.afterTerminal).as("calls on the subscription after onError (rule 2.4)").isEmpty();
    }

    @Test
    void fromPublisherRejectsABadBufferAndNull() {
        assertThatThrownBy(() -> Concurrency.fromPublisher(new SubmissionPublisher<Integer>(), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Concurrency.fromPublisher: buffer must be >= 1, was 0");
        assertThatThrownBy(() -> Concurrency.fromPublisher(null, 1)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("publisher");
    }
}
