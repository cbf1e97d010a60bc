package aivi.concurrency.bench;

import aivi.concurrency.internal.channel.Channel;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.SynchronousQueue;

/**
 * The one operation pair every benchmarked channel offers: a blocking send and a blocking receive. The
 * implementations are chosen by a string {@code "impl/capacity"}, so a JMH {@code @Param} lists exactly
 * the valid combinations (a {@code SynchronousQueue} has no capacity 16, and so on).
 */
interface Pipe<T> {

    void send(T value) throws InterruptedException;

    T receive() throws InterruptedException;

    /** Capacity "unbounded" in a {@code "impl/capacity"} name. */
    String UNBOUNDED = "unbounded";

    static <T> Pipe<T> create(String spec) {
        int slash = spec.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("expected impl/capacity, was " + spec);
        }
        String impl = spec.substring(0, slash);
        String cap = spec.substring(slash + 1);
        boolean unbounded = cap.equals(UNBOUNDED);
        int n = unbounded ? -1 : Integer.parseInt(cap);
        return switch (impl) {
            case "aivi" -> aivi(unbounded ? Channel.create(Channel.UNBOUNDED) : Channel.create(n));
            case "jox" -> jox(unbounded ? com.softwaremill.jox.Channel.newUnlimitedChannel()
                    : n == 0 ? com.softwaremill.jox.Channel.newRendezvousChannel()
                    : com.softwaremill.jox.Channel.newBufferedChannel(n));
            case "SynchronousQueue" -> {
                require(n == 0, spec);
                yield queue(new SynchronousQueue<>());
            }
            case "ArrayBlockingQueue" -> {
                require(n > 0, spec);
                yield queue(new ArrayBlockingQueue<>(n));
            }
            case "LinkedBlockingQueue" -> {
                require(n != 0, spec);
                yield queue(unbounded ? new LinkedBlockingQueue<>() : new LinkedBlockingQueue<>(n));
            }
            case "LinkedTransferQueue" -> {
                require(n <= 0, spec);
                LinkedTransferQueue<T> q = new LinkedTransferQueue<>();
                yield n == 0 ? transfer(q) : queue(q);
            }
            default -> throw new IllegalArgumentException("unknown channel implementation " + impl);
        };
    }

    private static void require(boolean ok, String spec) {
        if (!ok) {
            throw new IllegalArgumentException("unsupported combination " + spec);
        }
    }

    static <T> Pipe<T> aivi(Channel<T> ch) {
        return new Pipe<>() {
            @Override
            public void send(T value) throws InterruptedException {
                ch.send(value);
            }

            @Override
            public T receive() throws InterruptedException {
                return ch.receiveOrNull();
            }
        };
    }

    static <T> Pipe<T> jox(com.softwaremill.jox.Channel<T> ch) {
        return new Pipe<>() {
            @Override
            public void send(T value) throws InterruptedException {
                ch.send(value);
            }

            @Override
            public T receive() throws InterruptedException {
                return ch.receive();
            }
        };
    }

    static <T> Pipe<T> queue(BlockingQueue<T> q) {
        return new Pipe<>() {
            @Override
            public void send(T value) throws InterruptedException {
                q.put(value);
            }

            @Override
            public T receive() throws InterruptedException {
                return q.take();
            }
        };
    }

    static <T> Pipe<T> transfer(LinkedTransferQueue<T> q) {
        return new Pipe<>() {
            @Override
            public void send(T value) throws InterruptedException {
                q.transfer(value);
            }

            @Override
            public T receive() throws InterruptedException {
                return q.take();
            }
        };
    }
}
