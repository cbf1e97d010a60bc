package aivi.concurrency.examples;

import java.io.PrintStream;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where the demo writes: whole lines, plus one live status line (a progress bar) that is redrawn in place
 * when the output is a terminal. Lines and the status line never tear each other: a line printed while a
 * status is shown clears it, prints, and redraws it. On a pipe or a file there is no live line at all (the
 * scenes print plain progress lines instead). Thread-safe.
 */
final class Terminal {
    private static final String CLEAR_LINE = "\r\033[2K";

    private final PrintStream out;
    private final boolean live;
    private final ReentrantLock lock = new ReentrantLock();
    /** The status line on screen, or {@code null}. Guarded by {@link #lock}. */
    private String status;

    Terminal(PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
    }

    /** Whether the output is a terminal that can redraw a status line. */
    boolean live() {
        return live;
    }

    /** Prints a line. */
    void line(String text) {
        lock.lock();
        try {
            if (status != null) {
                out.print(CLEAR_LINE);
            }
            out.println(text);
            if (status != null) {
                out.print(status);
            }
            out.flush();
        } finally {
            lock.unlock();
        }
    }

    /** Shows {@code text} as the live status line; ignored when the output is not a terminal. */
    void status(String text) {
        if (!live) {
            return;
        }
        lock.lock();
        try {
            out.print(CLEAR_LINE + text);
            out.flush();
            status = text;
        } finally {
            lock.unlock();
        }
    }

    /** Removes the live status line, if any. */
    void clearStatus() {
        lock.lock();
        try {
            if (status != null) {
                out.print(CLEAR_LINE);
                out.flush();
                status = null;
            }
        } finally {
            lock.unlock();
        }
    }
}
