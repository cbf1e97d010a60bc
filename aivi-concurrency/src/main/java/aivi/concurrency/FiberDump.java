package aivi.concurrency;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of the live fibers of an {@link EffectRuntime} ({@link EffectRuntime#dump()}), as a tree that
 * follows the scopes: a fiber's children are the fibers it spawned (in a {@code scope}, implicitly, or as
 * the branches of {@code par}/{@code race}). Root fibers ({@link EffectRuntime#run run} and its kin) and
 * detached fibers ({@link Concurrency#spawnDetached}) are the roots of the tree.
 *
 * <p>Each entry names the fiber (its virtual thread's name; see {@link Effect#named}), says whether it is
 * running or waiting, what it waits on and for how long. {@link #toString()} prints one line per fiber,
 * indented by depth:
 *
 * <pre>
 * 3 fibers
 * main [waiting: scope on Scope[2 children] for 1.2 s]
 *   producer [waiting: send on Channel@3f2a1b[capacity=0, buffered=0] for 1.2 s]
 *   consumer [running]
 * </pre>
 *
 * <p>A dump is taken while the fibers run on, so it is a best-effort picture: a fiber that starts or ends
 * while the dump is taken may be missing or shown in its last state. It is immutable once taken.
 *
 * {@snippet :
 * try (EffectRuntime rt = EffectRuntime.create()) {
 *     FiberDump dump = rt.dump();
 *     System.out.println(dump); // "0 fibers" when nothing runs
 * }
 * }
 */
public final class FiberDump {

    /** What a fiber is doing: running, or waiting in one of the library's waits. */
    public enum Activity {
        /** Running or runnable, or blocked outside the library (real I/O, a JDK lock, {@code Thread.sleep}). */
        RUNNING("running"),
        /** In {@link Concurrency#sleep}, a retry delay, or {@link Effect#never()}. */
        SLEEP("sleep"),
        /** Waiting for a task to terminate: {@code join}, {@code await}, {@code cancel}, a {@code par}/{@code race} branch. */
        JOIN("join"),
        /** Waiting for the children of a scope to end ({@code scope}, {@link Scope#joinAll()}). */
        SCOPE("scope"),
        /** In a channel {@code send}. */
        SEND("send"),
        /** In a channel {@code recv}. */
        RECV("recv"),
        /** In a {@code select}. */
        SELECT("select"),
        /** Waiting for a {@link java.util.concurrent.Future} or {@link java.util.concurrent.CompletionStage}. */
        FUTURE("future");

        private final String word;

        Activity(String word) {
            this.word = word;
        }

        /**
         * The word used in dumps: {@code running}, {@code sleep}, {@code join}, {@code scope}, {@code send},
         * {@code recv}, {@code select} or {@code future}.
         *
         * @return the word
         */
        public String word() {
            return word;
        }
    }

    /**
     * One fiber of a dump.
     *
     * @param name       the fiber's name (its virtual thread's name)
     * @param activity   what it does
     * @param waitingOn  what it waits on, in words (a channel, a task, a scope, a deadline); empty while running
     * @param waitingFor how long it has waited (real time); {@link Duration#ZERO} while running. Sleep, scope
     *                   and future waits are timed from their start; join, send, recv and select waits (too
     *                   frequent to time each) from the first dump that saw them, so the first such dump
     *                   shows them at 0 ms
     * @param cancelling whether its cancellation was requested and it has not ended yet
     * @param children   the fibers it spawned that are still live
     */
    public record Entry(String name, Activity activity, String waitingOn, Duration waitingFor, boolean cancelling,
                        List<Entry> children) {
        /**
         * Validates and copies.
         *
         * @param name       the name
         * @param activity   the activity
         * @param waitingOn  what it waits on
         * @param waitingFor how long
         * @param cancelling whether cancellation was requested
         * @param children   the children
         */
        public Entry {
            Objects.requireNonNull(name, "FiberDump.Entry: name must not be null");
            Objects.requireNonNull(activity, "FiberDump.Entry: activity must not be null");
            Objects.requireNonNull(waitingOn, "FiberDump.Entry: waitingOn must not be null");
            Objects.requireNonNull(waitingFor, "FiberDump.Entry: waitingFor must not be null");
            children = List.copyOf(children);
        }

        /**
         * This entry's line of {@link FiberDump#toString()}, without indentation.
         *
         * @return the line
         */
        public String line() {
            StringBuilder sb = new StringBuilder(name).append(" [");
            if (activity == Activity.RUNNING) {
                sb.append("running");
            } else {
                sb.append("waiting: ").append(activity.word());
                if (!waitingOn.isEmpty()) {
                    sb.append(' ').append(waitingOn);
                }
                sb.append(" for ").append(FiberDump.format(waitingFor));
            }
            if (cancelling) {
                sb.append(", cancelling");
            }
            return sb.append(']').toString();
        }
    }

    private final List<Entry> roots;
    private final int size;

    FiberDump(List<Entry> roots) {
        this.roots = List.copyOf(roots);
        this.size = count(this.roots);
    }

    private static int count(List<Entry> es) {
        int n = 0;
        for (Entry e : es) {
            n += 1 + count(e.children());
        }
        return n;
    }

    /**
     * The top of the tree: root fibers and detached fibers.
     *
     * @return the roots, in no particular order
     */
    public List<Entry> roots() {
        return roots;
    }

    /**
     * Every fiber of the dump, parents before their children.
     *
     * @return all entries
     */
    public List<Entry> fibers() {
        List<Entry> out = new ArrayList<>(size);
        flatten(roots, out);
        return out;
    }

    private static void flatten(List<Entry> es, List<Entry> out) {
        for (Entry e : es) {
            out.add(e);
            flatten(e.children(), out);
        }
    }

    /**
     * The number of fibers in the dump.
     *
     * @return the count
     */
    public int size() {
        return size;
    }

    /**
     * A header line with the number of fibers, then one line per fiber ({@link Entry#line()}), indented by two
     * spaces per level of the tree.
     *
     * @return the dump as text
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(size).append(size == 1 ? " fiber" : " fibers");
        print(roots, 0, sb);
        return sb.toString();
    }

    private static void print(List<Entry> es, int depth, StringBuilder sb) {
        for (Entry e : es) {
            sb.append('\n').append("  ".repeat(depth)).append(e.line());
            print(e.children(), depth + 1, sb);
        }
    }

    /** A duration for people: {@code 15 ms}, {@code 1.2 s}, {@code 3 min 5 s}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1_000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return (ms / 1_000) + "." + ((ms % 1_000) / 100) + " s";
        }
        long s = d.toSeconds();
        if (s < 3_600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        return (s / 3_600) + " h " + ((s % 3_600) / 60) + " min";
    }
}
