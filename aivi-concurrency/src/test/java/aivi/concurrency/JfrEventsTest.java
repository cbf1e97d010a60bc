package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The library's JFR events (category "aivi"), recorded with a {@link RecordingStream}; off by default. */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class JfrEventsTest {

    private static final List<String> NAMES = List.of("aivi.ScopeCancelled", "aivi.TimeoutFired",
            "aivi.RetryAttempt", "aivi.ChannelWait", "aivi.UnobservedError");

    /** Runs one of each situation: a failing scope, a timeout, two retries, a long channel wait, a lost error. */
    private static void provokeEveryEvent() {
        ReportedErrors reported = new ReportedErrors();
        try (EffectRuntime rt = EffectRuntime.create(RuntimeConfig.defaults().withErrorHandler(reported))) {
            rt.run(Concurrency.scope(s -> s.spawn(Effect.<String, Unit>never()).then(s.spawn(Effect.fail("child failed")))
                    .then(Effect.<String, Unit>never())));
            rt.run(Concurrency.timeoutWith(1, "too slow", Effect.<String, Unit>never()));
            rt.run(Concurrency.retry(3, Effect.<String, Unit>fail("flaky")));
            rt.run(Concurrency.<String, Integer>makeBounded(0).flatMap(ch -> Concurrency.par(
                    Concurrency.<String, Integer>recv(ch.second()),
                    Concurrency.<String>sleep(60).then(Concurrency.send(ch.first(), 1))))); // the receiver waits 60 ms
            rt.run(Concurrency.spawnDetached(Effect.<String, Unit>fail("nobody joined me")).then(Concurrency.<String>sleep(5)));
        }
    }

    @Test
    void everyEventIsRecordedWhenARecordingEnablesIt() throws InterruptedException {
        Map<String, List<RecordedEvent>> seen = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(NAMES.size());
        try (RecordingStream rs = new RecordingStream()) {
            for (String name : NAMES) {
                rs.enable(name);
                rs.onEvent(name, e -> {
                    if (seen.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).size() == 0) {
                        all.countDown();
                    }
                    seen.get(name).add(e);
                });
            }
            rs.enable("aivi.ChannelWait").withThreshold(Duration.ofMillis(20));
            rs.startAsync();
            provokeEveryEvent();
            assertThat(all.await(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS))
                    .as("every event arrived; got %s", seen.keySet()).isTrue();
            rs.stop(); // flushes what is still buffered
        }
        assertThat(seen.get("aivi.ScopeCancelled")).anySatisfy(e -> {
            assertThat(e.getString("reason")).startsWith("a child failed").contains("child failed");
            assertThat(e.getInt("children")).isGreaterThanOrEqualTo(1);
        });
        assertThat(seen.get("aivi.TimeoutFired")).singleElement().satisfies(e -> {
            assertThat(e.getDuration("timeout")).isEqualTo(Duration.ofMillis(1));
            assertThat(e.getString("timeoutError")).isEqualTo("too slow");
            assertThat(e.getThread().getJavaName()).startsWith("aivi-fiber-");
        });
        assertThat(seen.get("aivi.RetryAttempt")).extracting(e -> e.getInt("attempt")).containsExactly(1, 2);
        assertThat(seen.get("aivi.RetryAttempt")).allSatisfy(e -> assertThat(e.getString("error")).isEqualTo("flaky"));
        assertThat(seen.get("aivi.ChannelWait")).anySatisfy(e -> {
            assertThat(e.getString("operation")).isEqualTo("recv");
            assertThat(e.getDuration()).isGreaterThanOrEqualTo(Duration.ofMillis(20));
        });
        assertThat(seen.get("aivi.UnobservedError")).anySatisfy(e ->
                assertThat(e.getClass("errorClass").getName()).isEqualTo(FailureException.class.getName()));
    }

    @Test
    void theEventsAreOffByDefault() throws InterruptedException {
        provokeEveryEvent(); // registers the event classes
        List<EventType> ours = FlightRecorder.getFlightRecorder().getEventTypes().stream()
                .filter(t -> t.getName().startsWith("aivi.")).toList();
        assertThat(ours).extracting(EventType::getName).containsExactlyInAnyOrderElementsOf(NAMES);
        assertThat(ours).allSatisfy(t -> {
            assertThat(t.getCategoryNames()).containsExactly("aivi");
            assertThat(t.getSettingDescriptors()).filteredOn(d -> d.getName().equals("enabled"))
                    .singleElement().satisfies(d -> assertThat(d.getDefaultValue()).as(t.getName()).isEqualTo("false"));
        });
        // a recording that does not enable them records none of them
        List<RecordedEvent> recorded = new CopyOnWriteArrayList<>();
        CountDownLatch flushed = new CountDownLatch(1);
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("jdk.JavaMonitorEnter"); // something, so the stream runs
            rs.onEvent(e -> {
                if (e.getEventType().getName().startsWith("aivi.")) {
                    recorded.add(e);
                }
            });
            rs.onFlush(flushed::countDown);
            rs.startAsync();
            provokeEveryEvent();
            assertThat(flushed.await(TestFibers.GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            rs.stop();
        }
        assertThat(recorded).isEmpty();
    }
}
