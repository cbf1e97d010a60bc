/**
 * Distributed channels for {@code aivi.concurrency} on Hazelcast: {@link aivi.concurrency.hazelcast.DistributedChannel}
 * hands out the library's own {@link aivi.concurrency.Sender} and {@link aivi.concurrency.Receiver} over a
 * Hazelcast {@code IQueue}, so a worker pool written with {@code send}, {@code recv} and {@code close} runs
 * across machines unchanged. See {@code docs/adr/0006-distributed-channels.md} for the semantics.
 */
@SuppressWarnings({"requires-transitive-automatic", "requires-automatic"})
module aivi.concurrency.hazelcast {
    requires transitive aivi.concurrency;
    requires transitive com.hazelcast.core;
    exports aivi.concurrency.hazelcast;
}
