package aivi.concurrency.examples;

import aivi.concurrency.Concurrency;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a user of the JPMS module sees: a tiny consumer module with {@code requires aivi.concurrency} is compiled
 * and run on the module path against the library as built (its jar in a reactor build, its class folder
 * otherwise), and a consumer that reaches into {@code aivi.concurrency.internal} does not compile.
 */
class ModulePathSmokeTest {
    /** Generous bound for one javac or java run on a busy machine. */
    private static final long RUN_BOUND_SECONDS = 60;

    private static Path library;

    @BeforeAll
    static void findTheLibrary() throws URISyntaxException {
        library = Path.of(Concurrency.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(library.resolve(Files.isDirectory(library) ? "module-info.class" : "").toFile())
                .as("the library as built: %s", library).exists();
    }

    private record Compiled(int status, String diagnostics) {
    }

    private static Compiled javac(Path src, Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        // an empty class path: in-process javac would otherwise see this test's class path as the unnamed module
        Path noClasses = Files.createDirectories(out.resolveSibling("no-classes"));
        List<String> args = new ArrayList<>(List.of("--release", "21", "--module-path", library.toString(),
                "--class-path", noClasses.toString(), "-d", out.toString()));
        try (var files = Files.walk(src)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = javac.run(null, err, err, args.toArray(String[]::new));
        return new Compiled(status, err.toString(StandardCharsets.UTF_8));
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    @Timeout(2 * RUN_BOUND_SECONDS)
    void aConsumerModuleThatRequiresTheLibraryCompilesAndRunsOnTheModulePath(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), "module smoke { requires aivi.concurrency; }\n");
        write(src.resolve("smoke/Main.java"), """
                package smoke;

                import aivi.concurrency.*;

                public final class Main {
                    public static void main(String[] args) {
                        Effect<String, Pair<Integer, Integer>> both =
                                Concurrency.par(Effect.succeed(20), Effect.succeed(22));
                        Pair<Integer, Integer> p = both.runOrThrow();
                        System.out.println("sum=" + (p.first() + p.second())
                                + " named=" + Concurrency.class.getModule().isNamed()
                                + " module=" + Concurrency.class.getModule().getName());
                    }
                }
                """);
        Path out = dir.resolve("out");
        Compiled compiled = javac(src, out);
        assertThat(compiled.status()).as(compiled.diagnostics()).isZero();

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(),
                "--module-path", library + File.pathSeparator + out, "-m", "smoke/smoke.Main")
                .redirectErrorStream(true).start();
        assertThat(process.waitFor(RUN_BOUND_SECONDS, TimeUnit.SECONDS)).as("the consumer ends").isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("sum=42 named=true module=aivi.concurrency");
    }

    @Test
    @Timeout(RUN_BOUND_SECONDS)
    void aConsumerModuleCannotSeeTheInternalPackages(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), "module peek { requires aivi.concurrency; }\n");
        write(src.resolve("peek/Peek.java"), """
                package peek;

                public final class Peek {
                    Object engine = aivi.concurrency.internal.channel.Channel.unbounded();
                }
                """);
        Compiled compiled = javac(src, dir.resolve("out"));
        assertThat(compiled.status()).as(compiled.diagnostics()).isNotZero();
        assertThat(compiled.diagnostics())
                .contains("package aivi.concurrency.internal.channel is not visible")
                .contains("does not export it");
    }
}
