package aivi.concurrency;

import aivi.concurrency.internal.channel.SelectClause;
import java.util.Objects;
import java.util.function.Function;

/**
 * One clause of a {@link Concurrency#select select}: a receive from a {@link Receiver} or a send to a
 * {@link Sender}, with what to make of its outcome. Exactly one clause of a select commits; the others
 * consume or deliver nothing.
 *
 * {@snippet :
 * Effect<String, String> next(Receiver<Integer> numbers, Receiver<String> words) {
 *     return Concurrency.select(
 *             Clause.recv(numbers, r -> "number " + r),
 *             Clause.recv(words, r -> "word " + r));
 * }
 * }
 *
 * @param <R> the select's result type
 */
public final class Clause<R> {
    final SelectClause<?> engine;
    /** Maps the clause's outcome ({@code Result}) to the select's result. */
    final Function<Object, ? extends R> onOutcome;

    @SuppressWarnings("unchecked")
    private Clause(SelectClause<?> engine, Function<?, ? extends R> onOutcome) {
        this.engine = engine;
        this.onOutcome = (Function<Object, ? extends R>) onOutcome;
    }

    /**
     * A clause that receives from {@code receiver}; {@code then} gets {@code Ok(value)}, or
     * {@code Err(CLOSED)} once the channel is closed and drained (a closed channel is always ready).
     *
     * @param receiver the receiver
     * @param then     maps the outcome to the select's result
     * @param <A>      the value type
     * @param <R>      the select's result type
     * @return the clause
     * @throws UnsupportedOperationException if {@code receiver} belongs to a channel that cannot take part in
     *         a select (a distributed channel, for example); the message says why
     */
    public static <A, R> Clause<R> recv(Receiver<A> receiver,
                                        Function<? super Result<ChannelError, A>, ? extends R> then) {
        Objects.requireNonNull(receiver, "Clause.recv: receiver must not be null");
        Objects.requireNonNull(then, "Clause.recv: then must not be null");
        if (!(receiver instanceof ChannelHandles.ReceiverHandle<A> h)) {
            throw new UnsupportedOperationException("Clause.recv: " + receiver + " cannot take part in a select: "
                    + ((BackendHandles.BackendReceiver<A>) receiver).backend.whyNoSelect());
        }
        return new Clause<>(SelectClause.receive(h.channel), then);
    }

    /**
     * A clause that sends {@code value} to {@code sender}; {@code then} gets {@code Ok(UNIT)} once it is
     * delivered, or {@code Err(CLOSED)} if the channel is closed (the value was not delivered).
     *
     * @param sender the sender
     * @param value  the value; not {@code null}
     * @param then   maps the outcome to the select's result
     * @param <A>    the value type
     * @param <R>    the select's result type
     * @return the clause
     * @throws UnsupportedOperationException if {@code sender} belongs to a channel that cannot take part in a
     *         select (a distributed channel, for example); the message says why
     */
    public static <A, R> Clause<R> send(Sender<A> sender, A value,
                                        Function<? super Result<ChannelError, Unit>, ? extends R> then) {
        Objects.requireNonNull(sender, "Clause.send: sender must not be null");
        Objects.requireNonNull(value, "Clause.send: value must not be null (channels carry no nulls)");
        Objects.requireNonNull(then, "Clause.send: then must not be null");
        if (!(sender instanceof ChannelHandles.SenderHandle<A> h)) {
            throw new UnsupportedOperationException("Clause.send: " + sender + " cannot take part in a select: "
                    + ((BackendHandles.BackendSender<A>) sender).backend.whyNoSelect());
        }
        return new Clause<>(SelectClause.send(h.channel, value), then);
    }
}
