package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import aivi.concurrency.internal.channel.Channel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.TestAbortedException;
import org.reactivestreams.tck.SubscriberWhiteboxVerification.SubscriberPuppet;
import org.reactivestreams.tck.SubscriberWhiteboxVerification.WhiteboxSubscriberProbe;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowSubscriberBlackboxVerification;
import org.reactivestreams.tck.flow.FlowSubscriberWhiteboxVerification;
import org.reactivestreams.tck.flow.support.SubscriberBlackboxVerificationRules;
import org.reactivestreams.tck.flow.support.SubscriberWhiteboxVerificationRules;

/**
 * The Reactive Streams TCK ({@code reactive-streams-tck-flow}) against the {@link Flow.Subscriber} inside
 * {@link Concurrency#fromPublisher}. Each rule runs as a JUnit dynamic test on a fresh verification, as
 * {@link FlowPublisherTckTest} runs the publisher rules; a TestNG {@code SkipException} is a skipped test.
 *
 * <p>The subscriber under test is the real one: each {@code createFlowSubscriber} runs
 * {@code fromPublisher(capture, buffer)} on a fiber of its own, with a publisher whose {@code subscribe} only
 * hands the subscriber to the TCK, and a consumer that takes the values from the receiver. The blackbox rules
 * see that subscriber as it is (it requests {@code buffer} values, then one per value consumed); the whitebox
 * rules see it through a probe that forwards every signal, and a puppet whose {@code triggerRequest(n)} lets
 * the consumer take {@code n} more values (each taken value is what makes the subscriber request one more) and
 * whose {@code signalCancel} cancels the consumer's fiber (whose scope then cancels the subscription).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FlowSubscriberTckTest {

    private static final long TCK_TIMEOUT_MILLIS = 1_000;
    private static final long TCK_NO_SIGNAL_MILLIS = 100;
    private static final long CONSUMER_END_MILLIS = 10_000;

    /** The consumers started for one rule, and the runtime they run on. */
    private final class Consumers {
        final ReportedErrors reported = new ReportedErrors();
        final EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(reported));
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        /**
         * Runs {@code consume} over the receiver of {@code fromPublisher(capture, buffer)} on a new root fiber,
         * and returns the subscriber that {@code fromPublisher} subscribed with.
         */
        Flow.Subscriber<Long> start(int buffer, java.util.function.Function<Receiver<Long>, Effect<String, Unit>> consume)
                throws Exception {
            CompletableFuture<Flow.Subscriber<? super Long>> captured = new CompletableFuture<>();
            Flow.Publisher<Long> capture = captured::complete;
            Effect<String, Unit> program = Concurrency.scope(s ->
                    Concurrency.<String, Long>fromPublisher(capture, buffer).flatMap(consume));
            // run() on a thread of its own: interrupting it cancels the root fiber, and run() returns (so the
            // thread ends) only once the fiber and the subscription's pump have terminated
            threads.add(Thread.ofVirtual().name("tck-consumer").start(() -> rt.run(program)));
            @SuppressWarnings("unchecked")
            Flow.Subscriber<Long> subscriber = (Flow.Subscriber<Long>) captured.get(CONSUMER_END_MILLIS,
                    TimeUnit.MILLISECONDS);
            return subscriber;
        }

        /** Cancels every consumer still running, waits until all have ended, and checks nothing was lost. */
        void close() throws InterruptedException {
            for (Thread t : threads) {
                t.interrupt();
            }
            for (Thread t : threads) {
                assertThat(t.join(java.time.Duration.ofMillis(CONSUMER_END_MILLIS))).as("consumer ended").isTrue();
            }
            rt.close();
            assertThat(rt.liveFibers()).as("fibers left running").isZero();
            assertThat(reported.errors()).as("errors nobody observed").isEmpty();
        }
    }

    private static Effect<String, Unit> consumeAll(Receiver<Long> in) {
        return in.<String>forEach(x -> Effect.unit());
    }

    // ---- blackbox -----------------------------------------------------------------------------------------

    private final class Blackbox extends FlowSubscriberBlackboxVerification<Long> {
        final Consumers consumers = new Consumers();
        private final int buffer;

        Blackbox(int buffer) {
            super(new TestEnvironment(TCK_TIMEOUT_MILLIS, TCK_NO_SIGNAL_MILLIS));
            this.buffer = buffer;
        }

        @Override
        public Flow.Subscriber<Long> createFlowSubscriber() {
            try {
                return consumers.start(buffer, FlowSubscriberTckTest::consumeAll);
            } catch (Exception e) {
                throw new AssertionError("fromPublisher did not subscribe", e);
            }
        }

        @Override
        public Long createElement(int element) {
            return (long) element;
        }
    }

    @TestFactory
    Stream<DynamicTest> theTckBlackboxRulesForFromPublishersSubscriber() {
        return Stream.of(1, 16).flatMap(buffer -> Arrays.stream(SubscriberBlackboxVerificationRules.class.getMethods())
                .sorted(Comparator.comparing(Method::getName))
                .map(rule -> DynamicTest.dynamicTest("buffer " + buffer + ": " + rule.getName(), () -> {
                    Blackbox v = new Blackbox(buffer);
                    run(rule, v, v.consumers, v::startPublisherExecutorService, v::shutdownPublisherExecutorService,
                            v::setUp);
                })));
    }

    // ---- whitebox -----------------------------------------------------------------------------------------

    private final class Whitebox extends FlowSubscriberWhiteboxVerification<Long> {
        final Consumers consumers = new Consumers();
        private final int buffer;

        Whitebox(int buffer) {
            super(new TestEnvironment(TCK_TIMEOUT_MILLIS, TCK_NO_SIGNAL_MILLIS));
            this.buffer = buffer;
        }

        @Override
        protected Flow.Subscriber<Long> createFlowSubscriber(WhiteboxSubscriberProbe<Long> probe) {
            // the puppet's tokens: each lets the consumer take one more value from the receiver
            Channel<Unit> tokens = Channel.unbounded();
            Receiver<Unit> permits = new ChannelHandles.ReceiverHandle<>(tokens);
            AtomicBoolean cancelled = new AtomicBoolean();
            Flow.Subscriber<Long> subscriber;
            try {
                subscriber = consumers.start(buffer, in -> Effect.gen(d -> {
                    for (;;) {
                        d.await(Concurrency.<String, Unit>recv(permits));
                        if (d.await(Concurrency.<String, Long>recv(in)) instanceof Result.Err<ChannelError, Long>) {
                            return Unit.UNIT;
                        }
                    }
                }));
            } catch (Exception e) {
                throw new AssertionError("fromPublisher did not subscribe", e);
            }
            Thread consumer = consumers.threads.getLast();
            SubscriberPuppet puppet = new SubscriberPuppet() {
                @Override
                public void triggerRequest(long elements) {
                    for (long i = 0; i < elements; i++) {
                        tokens.trySend(Unit.UNIT);
                    }
                }

                @Override
                public void signalCancel() {
                    if (cancelled.compareAndSet(false, true)) {
                        consumer.interrupt(); // cancels the consumer's fiber; its scope cancels the subscription
                    }
                }
            };
            AtomicBoolean registered = new AtomicBoolean();
            return new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscriber.onSubscribe(s);
                    if (registered.compareAndSet(false, true)) {
                        probe.registerOnSubscribe(puppet);
                    }
                }

                @Override
                public void onNext(Long item) {
                    subscriber.onNext(item);
                    probe.registerOnNext(item);
                }

                @Override
                public void onError(Throwable t) {
                    subscriber.onError(t);
                    probe.registerOnError(t);
                }

                @Override
                public void onComplete() {
                    subscriber.onComplete();
                    probe.registerOnComplete();
                }
            };
        }

        @Override
        public Long createElement(int element) {
            return (long) element;
        }
    }

    @TestFactory
    Stream<DynamicTest> theTckWhiteboxRulesForFromPublishersSubscriber() {
        return Stream.of(1, 16).flatMap(buffer -> Arrays.stream(SubscriberWhiteboxVerificationRules.class.getMethods())
                .sorted(Comparator.comparing(Method::getName))
                .map(rule -> DynamicTest.dynamicTest("buffer " + buffer + ": " + rule.getName(), () -> {
                    Whitebox v = new Whitebox(buffer);
                    run(rule, v, v.consumers, v::startPublisherExecutorService, v::shutdownPublisherExecutorService,
                            v::setUp);
                })));
    }

    // ---- running a rule the way TestNG would ----------------------------------------------------------------

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private static void run(Method rule, Object verification, Consumers consumers, Step beforeClass, Step afterClass,
                            Step beforeMethod) throws Throwable {
        beforeClass.run();
        try {
            beforeMethod.run();
            rule.invoke(verification);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof org.testng.SkipException skip) {
                throw new TestAbortedException("skipped by the TCK: " + skip.getMessage());
            }
            throw cause;
        } finally {
            afterClass.run();
            consumers.close();
        }
    }
}
