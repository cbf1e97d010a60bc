package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Call-site tracing ({@code -Daivi.concurrency.tracing=true}): EffectTrace frames name the file and line where
 * each pending step was built. This JVM runs with tracing off, as users do by default; the on mode is checked
 * in a child JVM started with the property, and the cache directly.
 */
@ExtendWith(NoLeakedFibers.class)
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CallSiteTraceTest {

    private static final long CHILD_JVM_TIMEOUT_SECONDS = 60;

    private static int zero() {
        return 0;
    }

    /** A three-step flatMap chain over a step that throws; {@code lines} receives the line of each flatMap. */
    static Effect<String, Integer> threeFlatMaps(int[] lines) {
        Effect<String, Integer> boom = Effect.sync(() -> 10 / zero());
        Effect<String, Integer> one = boom.flatMap(x -> Effect.succeed(x + 1)); lines[0] = new Throwable().getStackTrace()[0].getLineNumber();
        Effect<String, Integer> two = one.flatMap(x -> Effect.succeed(x * 2)); lines[1] = new Throwable().getStackTrace()[0].getLineNumber();
        Effect<String, Integer> three = two.flatMap(x -> Effect.succeed(x - 3)); lines[2] = new Throwable().getStackTrace()[0].getLineNumber();
        return three;
    }

    private static int price(String sku) {
        throw new IllegalStateException("no price for " + sku);
    }

    /** The README's shop.Orders total: a price that throws, then map, flatMap, catchAll and ensuring. */
    static Effect<String, Integer> total(String sku, int quantity, int[] lines) {
        lines[0] = new Throwable().getStackTrace()[0].getLineNumber() + 3;
        return Effect.<String, String>succeed(sku)
                .map(CallSiteTraceTest::price)
                .map(p -> p * quantity)
                .flatMap(t -> Effect.<String, Integer>succeed(t + 5))
                .<String>catchAll(e -> Effect.succeed(0))
                .ensuring(Effect.unit());
    }

    private static EffectTrace traceOf(Exit<?, ?> exit) {
        assertThat(exit).isInstanceOf(Exit.Defect.class);
        Throwable cause = ((Exit.Defect<?, ?>) exit).cause();
        return Arrays.stream(cause.getSuppressed()).filter(s -> s instanceof EffectTrace).map(s -> (EffectTrace) s)
                .findFirst().orElseThrow(() -> new AssertionError("no EffectTrace on " + cause));
    }

    /** Run in the child JVM: prints the lines of the flatMaps, then one line per trace frame. */
    public static final class TracedChain {
        public static void main(String[] args) {
            int[] lines = new int[3];
            Effect<String, Integer> program = threeFlatMaps(lines);
            EffectTrace trace = traceOf(program.run());
            System.out.println("tracing " + CallSites.ENABLED);
            System.out.println("lines " + lines[0] + " " + lines[1] + " " + lines[2]);
            print("frame ", trace);
            int[] totalLines = new int[1];
            EffectTrace orders = traceOf(total("pear", 2, totalLines).run());
            System.out.println("total " + totalLines[0]);
            print("orders ", orders);
        }

        private static void print(String prefix, EffectTrace trace) {
            for (StackTraceElement e : trace.getStackTrace()) {
                System.out.println(prefix + e.getClassName() + " " + e.getMethodName() + " " + e.getFileName()
                        + " " + e.getLineNumber());
            }
        }
    }

    @Test
    void withTracingOnTheTraceNamesTheFileAndLineOfEachPendingFlatMap() throws Exception {
        List<String> out = runChildJvm("-D" + CallSites.PROPERTY + "=true", TracedChain.class.getName());
        assertThat(out).contains("tracing true");
        String[] lines = out.stream().filter(l -> l.startsWith("lines ")).findFirst().orElseThrow().split(" ");
        List<String> frames = out.stream().filter(l -> l.startsWith("frame ")).toList();
        String here = CallSiteTraceTest.class.getName();
        // innermost first: the flatMap right above the throwing step, then the next two, then the fiber
        assertThat(frames).hasSize(4);
        assertThat(frames.subList(0, 3)).containsExactly(
                "frame " + here + " threeFlatMaps CallSiteTraceTest.java " + lines[1],
                "frame " + here + " threeFlatMaps CallSiteTraceTest.java " + lines[2],
                "frame " + here + " threeFlatMaps CallSiteTraceTest.java " + lines[3]);
        assertThat(frames.get(3)).startsWith("frame aivi.concurrency.Fiber run ");

        // The README's example: the steps with the user's functions name their lines, ensuring (built by the
        // library around a value) keeps its step-and-class frame.
        int map = Integer.parseInt(out.stream().filter(l -> l.startsWith("total ")).findFirst().orElseThrow()
                .substring("total ".length()));
        List<String> orders = out.stream().filter(l -> l.startsWith("orders ")).toList();
        assertThat(orders).hasSize(5);
        assertThat(orders.subList(0, 4)).containsExactly(
                "orders " + here + " total CallSiteTraceTest.java " + map,
                "orders " + here + " total CallSiteTraceTest.java " + (map + 1),
                "orders " + here + " total CallSiteTraceTest.java " + (map + 2),
                "orders aivi.concurrency.Effect ensuring Effect.java -1");
    }

    @Test
    void withTracingOffNoStackIsWalkedAndFramesKeepTheStepAndTheClass() {
        assertThat(CallSites.ENABLED).as("this JVM runs with the default, tracing off").isFalse();
        long walks = CallSites.walks();
        EffectTrace trace = traceOf(threeFlatMaps(new int[3]).run());
        assertThat(CallSites.walks()).isEqualTo(walks);
        List<String> frames = Arrays.stream(trace.getStackTrace()).map(e -> e.getClassName() + "." + e.getMethodName()
                + "(" + e.getFileName() + ":" + e.getLineNumber() + ")").toList();
        String flatMap = "aivi.concurrency.CallSiteTraceTest.flatMap(CallSiteTraceTest.java:-1)";
        assertThat(frames.subList(0, 3)).containsExactly(flatMap, flatMap, flatMap);
    }

    @Test
    void aFunctionClassIsWalkedOnceAndKeepsItsFirstSite() {
        Function<Integer, Integer> f = x -> x + 1;
        long walks = CallSites.walks();
        CallSites.note(f); int line = new Throwable().getStackTrace()[0].getLineNumber();
        CallSites.note(f);
        assertThat(CallSites.walks() - walks).isEqualTo(1);
        StackTraceElement site = CallSites.siteOf(f);
        assertThat(site.getClassName()).isEqualTo(CallSiteTraceTest.class.getName());
        assertThat(site.getMethodName()).isEqualTo("aFunctionClassIsWalkedOnceAndKeepsItsFirstSite");
        assertThat(site.getFileName()).isEqualTo("CallSiteTraceTest.java");
        assertThat(site.getLineNumber()).isEqualTo(line);
    }

    @Test
    void aLibraryLambdaSharedByEveryCallerGetsNoSite() {
        // as(value) wraps the value in the library's own lambda: one class for every caller of as
        Node.Map<?, ?, ?> as = (Node.Map<?, ?, ?>) Effect.<String, Integer>sync(() -> 1).as("x");
        long walks = CallSites.walks();
        CallSites.note(as.f);
        assertThat(CallSites.walks()).isEqualTo(walks);
        assertThat(CallSites.siteOf(as.f)).isNull();
    }

    private static List<String> runChildJvm(String property, String mainClass)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, property, "-cp",
                System.getProperty("java.class.path"), mainClass));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            byte[] bytes = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(CHILD_JVM_TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("child JVM ended").isTrue();
            String text = new String(bytes, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("child JVM exit; output:%n%s", text).isZero();
            return text.lines().toList();
        } finally {
            p.destroyForcibly();
        }
    }
}
