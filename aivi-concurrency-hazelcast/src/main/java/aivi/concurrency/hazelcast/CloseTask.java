package aivi.concurrency.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import java.io.Serial;
import java.io.Serializable;
import java.util.concurrent.Callable;

/**
 * One phase of a close, run on every member by the closing member (see {@link QueueBackend}): phase
 * {@link #CLOSING} stops new sends on the member and waits for its sends in flight to finish; phase
 * {@link #SEALED} tells its receivers that an empty queue now means closed.
 */
final class CloseTask implements Callable<Boolean>, Serializable, HazelcastInstanceAware {
    @Serial
    private static final long serialVersionUID = 1L;

    static final int CLOSING = 1;
    static final int SEALED = 2;

    private final String channel;
    private final int phase;
    private transient HazelcastInstance member;

    CloseTask(String channel, int phase) {
        this.channel = channel;
        this.phase = phase;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance member) {
        this.member = member;
    }

    @Override
    public Boolean call() throws InterruptedException {
        QueueBackend<?> backend = QueueBackend.local(member, channel);
        if (backend == null) {
            return false; // this member never opened the channel: it has no sends in flight
        }
        if (phase == CLOSING) {
            backend.stopSendsAndAwaitInFlight();
        } else {
            backend.seal();
        }
        return true;
    }
}
