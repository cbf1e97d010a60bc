package aivi.concurrency.examples;

import aivi.concurrency.Effect;
import aivi.concurrency.EffectRuntime;
import aivi.concurrency.FiberDump;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Compiles every {@code ```java} block of the README in-process (with the JDK's compiler, against the library's
 * classes), runs each snippet, and checks every {@code // => value} comment against the value computed. The
 * README cannot drift from the library: a renamed method, a wrong comment or a snippet that hangs fails here.
 * See {@link ReadmeSnippets} for the conventions.
 */
class ReadmeSnippetsTest {
    /** Generous bound for one snippet; each takes milliseconds to a second. */
    private static final Duration SNIPPET_BOUND = Duration.ofSeconds(60);

    private static Path readme() {
        return Path.of(System.getProperty("aivi.readme", "../README.md"));
    }

    private static Path projectRoot() {
        return readme().toAbsolutePath().normalize().getParent();
    }

    @TestFactory
    Stream<DynamicTest> everyJavaSnippetCompilesRunsAndComputesWhatItsCommentsSay() throws Exception {
        List<ReadmeSnippets.Block> blocks = ReadmeSnippets.javaBlocks(Files.readAllLines(readme()));
        ReadmeSnippets.Generated generated = ReadmeSnippets.generate(blocks);
        assertThat(generated.snippets()).as("snippets in README.md").hasSizeGreaterThanOrEqualTo(12);
        assertThat(generated.source()).as("checked values in README.md").contains("readme$expect(");

        Path classes = compile(generated);
        URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeSnippetsTest.class.getClassLoader());
        Class<?> snippets = loader.loadClass(ReadmeSnippets.PACKAGE + "." + ReadmeSnippets.CLASS);
        return generated.snippets().stream().map(line -> DynamicTest.dynamicTest("README.md line " + line, () -> {
            Method m = snippets.getMethod(ReadmeSnippets.Generated.methodName(line));
            assertTimeoutPreemptively(SNIPPET_BOUND, () -> {
                try {
                    m.invoke(null);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }, () -> "README.md line " + line + " did not finish within " + SNIPPET_BOUND);
            // A fiber counts as live from when its own thread first runs; the dump also lists one spawned just
            // before the snippet returned. Either count reports the leak.
            EffectRuntime rt = EffectRuntime.defaultRuntime();
            FiberDump left = rt.dump();
            assertThat(Math.max(rt.liveFibers(), left.size()))
                    .as(() -> "fibers left running by README.md line " + line + "\n" + left)
                    .isZero();
        }));
    }

    /** Compiles the class with {@code -Xlint:all -Werror}: the README's code must be clean, not just valid. */
    private static Path compile(ReadmeSnippets.Generated generated) throws IOException, java.net.URISyntaxException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK (not a JRE) with javax.tools").isNotNull();
        Path out = Files.createTempDirectory("readme-snippets");
        // The library, and SLF4J's API for the MDC example of "Using it in a service" (a test dependency only).
        String library = Path.of(Effect.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + java.io.File.pathSeparator
                + Path.of(org.slf4j.MDC.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaFileObject source = new SimpleJavaFileObject(
                URI.create("string:///" + ReadmeSnippets.PACKAGE + "/" + ReadmeSnippets.CLASS + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return generated.source();
            }
        };
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT,
                StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, files, diagnostics,
                    List.of("--release", "21", "-Xlint:all", "-Werror", "-proc:none", "-classpath", library,
                            "-d", out.toString()),
                    null, List.of(source)).call();
            if (!ok) {
                throw new AssertionError("README.md's Java does not compile:\n" + diagnostics.getDiagnostics().stream()
                        .map(d -> describe(d, generated))
                        .collect(Collectors.joining("\n")));
            }
        }
        return out;
    }

    private static String describe(Diagnostic<? extends JavaFileObject> d, ReadmeSnippets.Generated generated) {
        int line = generated.readmeLine(d.getLineNumber());
        String where = line > 0 ? "README.md line " + line : "generated line " + d.getLineNumber();
        return where + ": " + d.getKind() + ": " + d.getMessage(Locale.ROOT);
    }

    @Test
    void theReadmeHasACompiledExampleOfEverySeedFunction() throws IOException {
        String java = ReadmeSnippets.javaBlocks(Files.readAllLines(readme())).stream()
                .flatMap(b -> b.lines().stream())
                .collect(Collectors.joining("\n"));
        for (String function : List.of("par", "race", "scope", "spawn", "timeoutWith", "retry", "sleep", "make",
                "makeBounded", "send", "recv", "close")) {
            assertThat(java).as("a java block of README.md calls " + function).containsPattern("\\b" + function + "\\(");
        }
        assertThat(java).as("the seed's own example").contains("after(200, \"left\")",
                "race(slow, fast).runOrThrow(); // => right", "timeoutWith(100, \"timeout\", Effect.succeed(9))");
    }

    @Test
    void theReadmeCommandsAreTheOnesCiAndTheBuildUse() throws IOException {
        String readme = Files.readString(readme());
        String ci = Files.readString(projectRoot().resolve(".ci/run"));
        String examplesPom = Files.readString(projectRoot().resolve("examples/pom.xml"));

        assertThat(readme).contains("```\n./mvnw -B verify\n```");
        assertThat(ci.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList())
                .last().isEqualTo("./mvnw -B verify");
        // $JAVA_HOME/bin/java when JAVA_HOME is set, else java from the PATH (the Requirements section says so)
        assertThat(readme).contains("```\n./mvnw -B -q -pl examples -am package -DskipTests"
                + " && \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" -jar examples/target/aivi-demo.jar\n```");
        assertThat(examplesPom).contains("<finalName>aivi-demo</finalName>",
                "<mainClass>aivi.concurrency.examples.Demo</mainClass>");
    }
}
