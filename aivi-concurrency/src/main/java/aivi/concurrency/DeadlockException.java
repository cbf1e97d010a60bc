package aivi.concurrency;

import java.util.Objects;

/**
 * The defect a {@link TestRuntime} run ends with when every fiber of the runtime waits in a library wait
 * (a {@code recv}, a {@code send}, a {@code join}, a scope, a {@code select}) and no deadline is left to move
 * virtual time to: nothing can ever happen again. Its {@linkplain #getMessage() message} holds the
 * {@linkplain #dump() fiber dump} taken at that moment: the name of every fiber, what it waits on, and the
 * scope tree. Every fiber is cancelled and awaited afterwards, so the run returns instead of hanging.
 *
 * {@snippet :
 * Exit<String, Result<ChannelError, String>> exit = TestRuntime.runVirtual(
 *         Concurrency.<String, String>make().flatMap(ch -> ch.second().<String>recv()).named("lonely"));
 * if (exit instanceof Exit.Defect<?, ?> d && d.cause() instanceof DeadlockException e) {
 *     System.out.println(e.getMessage()); // ... lonely [waiting: recv on Channel@... for 0 ms]
 * }
 * }
 */
public final class DeadlockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Not serialized: a dump is a snapshot of live objects, only its text travels. */
    private final transient FiberDump dump;

    DeadlockException(String message, FiberDump dump) {
        super(message);
        this.dump = Objects.requireNonNull(dump, "DeadlockException: dump must not be null");
    }

    /**
     * The fiber dump taken when the deadlock was found (also part of the message).
     *
     * @return the dump, or {@code null} after deserialization
     */
    public FiberDump dump() {
        return dump;
    }
}
