package aivi.concurrency.hazelcast;

/**
 * The element a close puts at the tail of the queue once no send can follow it (see {@link QueueBackend}).
 * A receiver that takes it knows the channel is closed and drained, and puts it back for the next receiver.
 * An enum so that it deserializes to the same constant on every member.
 */
enum EndMarker {
    END
}
