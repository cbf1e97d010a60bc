package aivi.concurrency;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

// The library's JDK Flight Recorder events, all in the category "aivi" and all disabled by default
// (@Enabled(false)): a recording sees them only when its settings enable them, e.g.
//   jcmd <pid> JFR.start settings=profile +aivi.TimeoutFired#enabled=true ...   (JDK 17+ option syntax)
// or in code with Recording.enable("aivi.TimeoutFired") / RecordingStream.enable(...).
//
// Cost when off. Each emit site first asks a shared probe instance isEnabled(): after JFR's instrumentation
// that is a read of a static configuration field and a boolean (no allocation, no lock), and the event
// object is only created when a recording wants it. The probes are never committed, only asked. The channel
// wait is a duration event: its start time is taken only while it is enabled, and JFR's own threshold
// (default 20 ms, settable per recording) decides whether a wait was long enough to be recorded.
//
// Every event is committed on the fiber where the thing happened (a timeout by the timed fiber once its
// effect has terminated, not by the timer thread), so JFR's thread field names the fiber. Strings are built
// only after isEnabled() said yes.
final class JfrEvents {
    private JfrEvents() {
    }

    @Name("aivi.ScopeCancelled")
    @Label("Scope Cancelled")
    @Category("aivi")
    @Description("A scope cancelled its running children: a child failed, or the scope's body ended first.")
    @Enabled(false)
    static final class ScopeCancelled extends Event {
        @Label("Reason")
        String reason;
        @Label("Children Cancelled")
        int children;
    }

    @Name("aivi.TimeoutFired")
    @Label("Timeout Fired")
    @Category("aivi")
    @Description("timeoutWith cancelled its effect because the time ran out; the effect has terminated.")
    @Enabled(false)
    static final class TimeoutFired extends Event {
        @Label("Timeout")
        @Timespan(Timespan.NANOSECONDS)
        long timeout;
        @Label("Timeout Error")
        String timeoutError;
    }

    @Name("aivi.RetryAttempt")
    @Label("Retry Attempt")
    @Category("aivi")
    @Description("An attempt failed with a typed error and the schedule decided to run it again after a delay.")
    @Enabled(false)
    static final class RetryAttempt extends Event {
        @Label("Failed Attempt")
        int attempt;
        @Label("Error")
        String error;
        @Label("Delay")
        @Timespan(Timespan.NANOSECONDS)
        long delayNanos;
    }

    @Name("aivi.ChannelWait")
    @Label("Channel Wait")
    @Category("aivi")
    @Description("A send or receive on a channel that waited longer than the threshold.")
    @Enabled(false)
    @Threshold("20 ms")
    static final class ChannelWait extends Event {
        @Label("Operation")
        String operation;
        @Label("Channel")
        String channel;
    }

    @Name("aivi.UnobservedError")
    @Label("Unobserved Error")
    @Category("aivi")
    @Description("An error nobody observed reached the runtime's error handler.")
    @Enabled(false)
    static final class UnobservedError extends Event {
        @Label("Context")
        String context;
        @Label("Error Class")
        Class<?> errorClass;
        @Label("Message")
        String message;
    }

    private static final ScopeCancelled SCOPE_CANCELLED = new ScopeCancelled();
    private static final TimeoutFired TIMEOUT_FIRED = new TimeoutFired();
    private static final RetryAttempt RETRY_ATTEMPT = new RetryAttempt();
    private static final ChannelWait CHANNEL_WAIT = new ChannelWait();
    private static final UnobservedError UNOBSERVED_ERROR = new UnobservedError();

    static void scopeCancelled(String reason, Object detail, int children) {
        if (SCOPE_CANCELLED.isEnabled()) {
            ScopeCancelled e = new ScopeCancelled();
            e.reason = detail == null ? reason : reason + ": " + detail;
            e.children = children;
            e.commit();
        }
    }

    static void timeoutFired(long nanos, Object timeoutError) {
        if (TIMEOUT_FIRED.isEnabled()) {
            TimeoutFired e = new TimeoutFired();
            e.timeout = nanos;
            e.timeoutError = String.valueOf(timeoutError);
            e.commit();
        }
    }

    static void retryAttempt(int attempt, Object error, long delayNanos) {
        if (RETRY_ATTEMPT.isEnabled()) {
            RetryAttempt e = new RetryAttempt();
            e.attempt = attempt;
            e.error = String.valueOf(error);
            e.delayNanos = delayNanos;
            e.commit();
        }
    }

    /** A started channel wait, or {@code null} when the event is off: pass it to {@link #channelWaitEnd}. */
    static ChannelWait channelWaitBegin() {
        if (!CHANNEL_WAIT.isEnabled()) {
            return null;
        }
        ChannelWait e = new ChannelWait();
        e.begin();
        return e;
    }

    static void channelWaitEnd(ChannelWait e, String operation, Object channel) {
        if (e != null) {
            e.end();
            if (e.shouldCommit()) {
                e.operation = operation;
                e.channel = String.valueOf(channel);
                e.commit();
            }
        }
    }

    static void unobservedError(String context, Throwable error) {
        if (UNOBSERVED_ERROR.isEnabled()) {
            UnobservedError e = new UnobservedError();
            e.context = context;
            e.errorClass = error.getClass();
            e.message = String.valueOf(error.getMessage());
            e.commit();
        }
    }
}
