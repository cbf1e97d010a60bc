package aivi.concurrency.examples;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The demo's command-line options.
 *
 * @param workers     the worker fibers of scene 5
 * @param jobs        the jobs of scene 5
 * @param scenes      the scenes to run, in the order given
 * @param seed        the seed of the server's latencies and failures and of the retry jitter
 * @param fast        latencies five times shorter (for a quick look, and for the tests)
 * @param failureRate how often the flaky endpoint of scene 4 fails
 * @param help        print the usage and stop
 */
record Options(int workers, int jobs, List<Integer> scenes, long seed, boolean fast, double failureRate,
               boolean help) {

    static final int SCENES = 6;

    static final String USAGE = """
            Usage: java -jar examples/target/aivi-demo.jar [options]

            Runs the aivi.concurrency demo against an embedded HTTP server on 127.0.0.1.
            Scenes: 1 par, 2 race, 3 timeoutWith, 4 retry with backoff, 5 worker pool on a
            bounded channel, 6 cancelling a scope. Ctrl-C cancels the running scene cleanly.

            Options:
              --workers N        worker fibers in scene 5 (default 4)
              --jobs N           jobs in scene 5 (default 40)
              --scenes LIST      scenes to run, e.g. 1,2,5 (default 1,2,3,4,5,6)
              --seed N           seed of the server's latencies, failures and the retry jitter (default 6)
              --failure-rate P   how often the flaky endpoint of scene 4 fails, 0..1 (default 0.6)
              --fast             latencies five times shorter
              -h, --help         print this help
              --distributed      scene 5 across demo processes on this machine (--help --distributed: more)
            """;

    /** The defaults: every scene, 4 workers, 40 jobs, seed 6 (three failures in scene 4), real latencies. */
    static Options defaults() {
        return new Options(4, 40, List.of(1, 2, 3, 4, 5, 6), 6, false, 0.6, false);
    }

    /** Multiplies the server's latencies (and the demo's time limits with them). */
    double scale() {
        return fast ? 0.2 : 1.0;
    }

    /**
     * Parses the arguments; {@code --name value} and {@code --name=value} both work.
     *
     * @throws IllegalArgumentException with a message for the user, on a bad option or value
     */
    static Options parse(String... args) {
        Options o = defaults();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            switch (name) {
                case "-h", "--help" -> o = o.with(o.workers, o.jobs, o.scenes, o.seed, o.fast, o.failureRate, true);
                case "--fast" -> o = o.with(o.workers, o.jobs, o.scenes, o.seed, true, o.failureRate, o.help);
                case "--workers", "--jobs", "--scenes", "--seed", "--failure-rate" -> {
                    String value = inline;
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(name + " needs a value");
                        }
                        value = args[++i];
                    }
                    o = o.set(name, value);
                }
                default -> throw new IllegalArgumentException("unknown option: " + arg);
            }
        }
        return o;
    }

    private Options set(String name, String value) {
        return switch (name) {
            case "--workers" -> with(positive(name, value, 1_000), jobs, scenes, seed, fast, failureRate, help);
            case "--jobs" -> with(workers, positive(name, value, 100_000), scenes, seed, fast, failureRate, help);
            case "--scenes" -> with(workers, jobs, sceneList(value), seed, fast, failureRate, help);
            case "--seed" -> with(workers, jobs, scenes, number(name, value), fast, failureRate, help);
            case "--failure-rate" -> with(workers, jobs, scenes, seed, fast, rate(value), help);
            default -> throw new IllegalStateException("no setter for " + name);
        };
    }

    private Options with(int workers, int jobs, List<Integer> scenes, long seed, boolean fast, double failureRate,
                         boolean help) {
        return new Options(workers, jobs, scenes, seed, fast, failureRate, help);
    }

    private static long number(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a whole number, was '" + value + "'");
        }
    }

    private static int positive(String name, String value, int max) {
        long n = number(name, value);
        if (n < 1 || n > max) {
            throw new IllegalArgumentException(name + " must be between 1 and " + max + ", was " + n);
        }
        return (int) n;
    }

    private static double rate(String value) {
        try {
            double p = Double.parseDouble(value.trim());
            if (p >= 0 && p <= 1) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--failure-rate must be a number from 0 to 1, was '" + value + "'");
    }

    private static List<Integer> sceneList(String value) {
        Set<Integer> picked = new LinkedHashSet<>();
        for (String part : value.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            long n = number("--scenes", part);
            if (n < 1 || n > SCENES) {
                throw new IllegalArgumentException("--scenes: there is no scene " + n + " (scenes are 1 to "
                        + SCENES + ")");
            }
            picked.add((int) n);
        }
        if (picked.isEmpty()) {
            throw new IllegalArgumentException("--scenes needs at least one scene, e.g. --scenes 1,2,5");
        }
        return List.copyOf(picked);
    }
}
