package aivi.concurrency.internal.channel;

import aivi.concurrency.ForkedJvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A throw inside a channel's critical section ({@link StackOverflowError}, {@link OutOfMemoryError})
 * must not leave its spin lock held: afterwards every operation still completes.
 *
 * <p>The stack overflow is forced at every call site inside an operation by calling it at every depth
 * while unwinding from a deliberate overflow; the out-of-memory error by filling an unbounded channel
 * in a JVM with a small heap (a forked process, so this JVM's heap stays whole).
 */
@Timeout(120)
class ChannelFaultTest {

    /** How long a check may take before we call the channel stuck. */
    private static final Duration STUCK = Duration.ofSeconds(20);

    @Test
    void aStackOverflowInsideTrySendAndTryReceiveLeavesTheLockFree() throws Exception {
        Channel<Integer> unbounded = Channel.unbounded();
        Channel<Integer> buffered = Channel.create(2);
        atEveryDepth(() -> {
            unbounded.trySend(1);
            buffered.trySend(2);
            unbounded.tryReceive();
            buffered.tryReceive();
            buffered.trySend(3);
        });
        assertUsable(unbounded);
        assertUsable(buffered);
    }

    @Test
    void aStackOverflowWhileCommittingAWaitingReceiverLeavesTheLockFreeAndEveryReceiverReturns() throws Exception {
        Channel<Integer> ch = Channel.rendezvous();
        AtomicInteger received = new AtomicInteger();
        List<Thread> receivers = new ArrayList<>();
        {
            for (int i = 0; i < 4; i++) {
                receivers.add(platform("receiver-" + i, () -> {
                    try {
                        while (ch.receiveOrNull() != null) {
                            received.incrementAndGet();
                        }
                    } catch (InterruptedException rescued) {
                        // see wakeOrRescue
                    }
                }));
            }
            atEveryDepth(() -> ch.trySend(1));
            wakeOrRescue(ch, receivers);
        }
        assertThat(received.get()).isPositive();
        assertUsable(ch);
    }

    @Test
    void aStackOverflowWhileTakingFromAWaitingSenderLeavesTheLockFreeAndEverySenderReturns() throws Exception {
        Channel<Integer> ch = Channel.create(1);
        List<Thread> senders = new ArrayList<>();
        {
            for (int i = 0; i < 4; i++) {
                senders.add(platform("sender-" + i, () -> {
                    try {
                        while (ch.sendOrClosed(7)) {
                            // keep the buffer full and a sender waiting
                        }
                    } catch (InterruptedException rescued) {
                        // see wakeOrRescue
                    }
                }));
            }
            atEveryDepth(ch::tryReceive);
            wakeOrRescue(ch, senders);
        }
        assertUsable(ch);
    }

    @Test
    void aStackOverflowInsideSelectLeavesEveryLockFree() throws Exception {
        Channel<Integer> a = Channel.create(3);
        Channel<Integer> b = Channel.unbounded();
        Channel<Integer> c = Channel.rendezvous();
        atEveryDepth(() -> {
            a.trySend(1);
            Select.selectOrDefault(List.of(SelectClause.receive(a), SelectClause.send(b, 2),
                    SelectClause.receive(c)));
            Select.selectOrDefault(List.of(SelectClause.send(a, 3), SelectClause.receive(b)));
        });
        assertUsable(a);
        assertUsable(b);
        assertUsable(c);
    }

    @Test
    void aStackOverflowInsideCloseLeavesTheLockFree() throws Exception {
        List<Channel<Integer>> channels = new ArrayList<>();
        atEveryDepth(() -> {
            Channel<Integer> ch = Channel.create(1);
            channels.add(ch);
            ch.trySend(1);
            ch.close();
            ch.isClosedForReceive();
            ch.toString();
        });
        assertTimeoutPreemptively(STUCK, () -> {
            for (Channel<Integer> ch : channels) {
                ch.close();
                ch.tryReceive();
                assertThat(ch.isClosedForReceive()).isTrue();
            }
        });
    }

    @Test
    void anOutOfMemoryErrorWhileGrowingAnUnboundedChannelLeavesItUsable() throws Exception {
        ForkedJvm.Result child = ForkedJvm.run(FillUntilOutOfMemory.class, 60, "-Xmx48m", "-XX:-UseGCOverheadLimit");
        assertThat(child.ended()).as("the child hung (a lock left held spins forever): " + child.output()).isTrue();
        assertThat(child.exitValue()).as(child.output()).isZero();
        assertThat(child.output()).contains("out of memory after", "usable after the error");
    }

    /** The child process of {@link #anOutOfMemoryErrorWhileGrowingAnUnboundedChannelLeavesItUsable}. */
    static final class FillUntilOutOfMemory {
        public static void main(String[] args) throws Exception {
            Channel<Object> ch = Channel.unbounded();
            Object same = new Object(); // only the buffer grows: the error strikes while growing it
            long sent = 0;
            try {
                for (;;) {
                    ch.trySend(same);
                    sent++;
                }
            } catch (OutOfMemoryError expected) {
                System.out.println("out of memory after " + sent + " values");
            }
            // Each step runs on a platform daemon thread, so a stuck lock makes us exit non-zero.
            Thread check = new Thread(() -> {
                if (ch.tryReceive() != same) {
                    throw new AssertionError("tryReceive");
                }
                try {
                    if (Select.selectOrDefault(List.of(SelectClause.receive(ch))) instanceof Selection.Default) {
                        throw new AssertionError("select");
                    }
                    if (ch.receiveOrNull() != same) {
                        throw new AssertionError("receive");
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                ch.close();
                System.out.println("usable after the error");
            });
            check.setDaemon(true);
            check.start();
            check.join(20_000);
            System.exit(check.isAlive() ? 3 : 0);
        }
    }

    /**
     * Overflows the stack of a fresh platform thread on purpose, then runs {@code op} once at every
     * depth while unwinding, so that the overflow strikes at each call site inside {@code op} in turn.
     */
    private static void atEveryDepth(Runnable op) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger overflows = new AtomicInteger();
        // Warm up on a normal stack first: an overflow during a class's static initialisation or a call
        // site's first linkage breaks that class or call site for the whole JVM (JVMS 5.5, 5.4.3), which
        // would poison every later test in this fork rather than test the channel.
        for (int i = 0; i < 3; i++) {
            op.run();
        }
        Thread t = new Thread(null, () -> {
            try {
                for (int round = 0; round < 3; round++) {
                    descend(op, overflows);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "overflow", 256 * 1024);
        t.setDaemon(true); // if a lock was left held it spins forever: do not keep the JVM alive
        t.start();
        t.join(STUCK.toMillis());
        assertThat(t.isAlive()).as("an operation is stuck: a lock was left held").isFalse();
        assertThat(failure.get()).isNull();
        assertThat(overflows.get()).as("the overflow struck inside the operation").isPositive();
    }

    private static void descend(Runnable op, AtomicInteger overflows) {
        try {
            descend(op, overflows);
        } catch (StackOverflowError deepest) {
            // the bottom: now run op at this depth and at every shallower one
        }
        try {
            op.run();
        } catch (StackOverflowError expected) {
            overflows.incrementAndGet();
        }
    }

    /**
     * Starts a platform daemon thread. The waiters of these tests are platform threads on purpose: an
     * overflow that strikes inside {@code LockSupport.unpark} of a <em>virtual</em> thread can strike
     * after the JDK changed the thread's state and before it submitted it to its scheduler, and then
     * nothing can ever run that thread again (a JDK limitation no library can repair); unparking a
     * platform thread is a single native call.
     */
    private static Thread platform(String name, Threads.Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Closes {@code ch} and interrupts every waiter. The overflow may strike inside the wake-up of a
     * waiter its step had just committed (unparking a virtual thread is a deep call); such a waiter stays
     * committed but parked, and its cancellation must still return it. Every other waiter is woken by
     * the close.
     */
    private static void wakeOrRescue(Channel<Integer> ch, List<Thread> waiters) {
        assertTimeoutPreemptively(STUCK, () -> {
            ch.close();
            for (Thread w : waiters) {
                w.interrupt();
            }
            for (Thread w : waiters) {
                Threads.join(w);
            }
        });
    }

    /** Every operation completes on a channel that was hit by a fault. */
    private static void assertUsable(Channel<Integer> ch) {
        assertTimeoutPreemptively(STUCK, () -> {
            while (ch.tryReceive() != null) {
                // drain
            }
            if (!ch.isClosedForSend()) {
                if (ch.capacity() != 0) {
                    assertThat(ch.trySend(5)).isEqualTo(Channel.Offer.DELIVERED);
                    assertThat(Select.selectOrDefault(List.of(SelectClause.receive(ch))))
                            .isEqualTo(new Selection.Received(0, 5));
                }
                ch.close();
            }
            assertThat(ch.receiveOrNull()).isNull();
            assertThat(ch.isClosedForReceive()).isTrue();
            assertThat(ch.queuedWaiters()).isZero();
        });
    }
}
