/**
 * The {@code aivi.concurrency} domain for Java: typed effects ({@link aivi.concurrency.Effect}), fibers on
 * virtual threads, structured concurrency ({@link aivi.concurrency.Concurrency#par par},
 * {@link aivi.concurrency.Concurrency#race race}, {@link aivi.concurrency.Concurrency#scope scope},
 * {@link aivi.concurrency.Concurrency#spawn spawn}, ...) and Go-style channels.
 *
 * <p>Only the package {@code aivi.concurrency} is exported. The implementation is the package-private classes
 * of {@code aivi.concurrency} (see its {@code package-info.java} for where things live) and the unexported
 * package {@code aivi.concurrency.internal.channel} (the channel engine).
 *
 * <p>The module reads {@code jdk.jfr}, a module of the JDK itself (not a third-party dependency), for its
 * Flight Recorder events, which are off unless a recording enables them.
 */
module aivi.concurrency {
    // EffectRuntime registers an MBean per runtime so its fiber dump is reachable from JMX tools; the module
    // is part of every standard JDK image.
    requires java.management;
    // The Flight Recorder events (JfrEvents), off unless a recording enables them; also a JDK module.
    requires jdk.jfr;

    exports aivi.concurrency;
    // Compile time only: @CheckReturnValue on the types whose methods build effects, so Error Prone and IDEs
    // warn about an effect that is built and dropped. The annotations are not needed at run time.
    requires static com.google.errorprone.annotations;
    // The extension point for channels implemented elsewhere (Sender/Receiver over a ChannelBackend), for the
    // library's own integration modules only.
    exports aivi.concurrency.internal.spi to aivi.concurrency.hazelcast;
}
