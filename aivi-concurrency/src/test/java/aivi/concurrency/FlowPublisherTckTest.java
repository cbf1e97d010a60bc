package aivi.concurrency;

import aivi.concurrency.internal.channel.Channel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.TestAbortedException;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.reactivestreams.tck.flow.support.PublisherVerificationRules;

/**
 * The Reactive Streams TCK ({@code reactive-streams-tck-flow}) against {@link Receiver#toPublisher()}. The TCK
 * is written for TestNG; each of its rules (the methods of {@link PublisherVerificationRules}) runs here as a
 * JUnit dynamic test on a fresh verification, the way TestNG would run it: {@code setUp()} first, a TestNG
 * {@code SkipException} reported as a skipped test.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FlowPublisherTckTest {

    /** Channels made for one rule; closed after it, which also ends their producer threads. */
    private final List<Channel<Long>> opened = new CopyOnWriteArrayList<>();

    private final class Verification extends FlowPublisherVerification<Long> {
        Verification() {
            super(new TestEnvironment(1_000, 100));
        }

        @Override
        public Flow.Publisher<Long> createFlowPublisher(long elements) {
            if (elements <= 1024) {
                Channel<Long> ch = Channel.unbounded();
                for (long i = 0; i < elements; i++) {
                    ch.trySend(i);
                }
                ch.close();
                return new ChannelHandles.ReceiverHandle<>(ch).toPublisher();
            }
            Channel<Long> ch = Channel.buffered(16); // a long or endless stream: fed while it is consumed
            opened.add(ch);
            Thread.ofVirtual().name("tck-producer").start(() -> {
                try {
                    for (long i = 0; i < elements; i++) {
                        if (!ch.sendOrClosed(i)) {
                            return;
                        }
                    }
                    ch.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            return new ChannelHandles.ReceiverHandle<>(ch).toPublisher();
        }

        @Override
        public Flow.Publisher<Long> createFailedFlowPublisher() {
            return null; // a channel's publisher never fails by itself: the TCK skips these rules
        }
    }

    @TestFactory
    Stream<DynamicTest> theTckRulesForPublishers() {
        return Arrays.stream(PublisherVerificationRules.class.getMethods())
                .sorted(Comparator.comparing(Method::getName))
                .map(rule -> DynamicTest.dynamicTest(rule.getName(), () -> run(rule)));
    }

    private void run(Method rule) throws Throwable {
        Verification v = new Verification();
        try {
            v.setUp();
            rule.invoke(v);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof org.testng.SkipException skip) {
                throw new TestAbortedException("skipped by the TCK: " + skip.getMessage());
            }
            throw cause;
        } finally {
            for (Channel<Long> ch : opened) {
                ch.close();
            }
            opened.clear();
        }
    }
}
