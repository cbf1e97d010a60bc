package aivi.concurrency.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code {@snippet :}} example in this module's Javadoc compiles against the module: each snippet is a
 * method declaration, and becomes a member of a class of its own.
 */
class JavadocSnippetsTest {
    private static final Path SOURCES = Path.of("src/main/java/aivi/concurrency/hazelcast");
    private static final String IMPORTS = """
            import aivi.concurrency.*;
            import aivi.concurrency.hazelcast.*;
            import com.hazelcast.core.HazelcastInstance;
            import java.time.Duration;
            """;

    @Test
    void everyJavadocSnippetOfThePublicPackageCompiles() throws IOException {
        List<String> snippets = new ArrayList<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).trim().equals("* {@snippet :")) {
                        // the snippet ends at the first "* }" outside the braces of its own code
                        StringBuilder text = new StringBuilder();
                        int depth = 0;
                        int j = i + 1;
                        for (; depth > 0 || !lines.get(j).trim().equals("* }"); j++) {
                            String l = lines.get(j);
                            int star = l.indexOf('*');
                            String code = star >= 0 ? l.substring(star + 1) : l;
                            depth += code.chars().filter(c -> c == '{').count() - code.chars().filter(c -> c == '}').count();
                            text.append(code).append('\n');
                        }
                        snippets.add(text.toString());
                        i = j;
                    }
                }
            }
        }
        assertThat(snippets).as("snippets found").hasSizeGreaterThanOrEqualTo(2);
        Path dir = Files.createTempDirectory("snippets");
        List<String> args = new ArrayList<>(List.of("-proc:none", "-d", dir.resolve("classes").toString(),
                "-classpath", System.getProperty("java.class.path")));
        for (int i = 0; i < snippets.size(); i++) {
            Path src = dir.resolve("Snippet" + i + ".java");
            Files.writeString(src, IMPORTS + "class Snippet" + i + " {\n" + snippets.get(i) + "\n}\n");
            args.add(src.toString());
        }
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        StringWriter out = new StringWriter();
        PrintWriter pw = new PrintWriter(out);
        int status = javac.run(pw, pw, args.toArray(String[]::new));
        pw.flush();
        assertThat(status).as("javac output:%n%s", out).isZero();
    }
}
