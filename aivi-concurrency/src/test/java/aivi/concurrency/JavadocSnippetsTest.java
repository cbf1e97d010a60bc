package aivi.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every {@code {@snippet :}} example in the public package's Javadoc compiles against the library, so the
 * examples cannot rot. Each snippet becomes a class: method declarations at its top level become members,
 * the remaining lines the body of a method that may throw.
 */
class JavadocSnippetsTest {
    private static final Path SOURCES = Path.of("src/main/java/aivi/concurrency");
    private static final Pattern METHOD_START = Pattern.compile(
            "^(?:(?:public|private|static|final)\\s+)*[\\w.<>\\[\\], ?]+\\s+\\w+\\s*\\([^;]*\\)\\s*\\{\\s*$");

    record Snippet(String file, int line, String text) {
    }

    @Test
    void everyJavadocSnippetOfThePublicPackageCompiles() throws IOException {
        List<Snippet> snippets = collect();
        assertThat(snippets).as("snippets found").hasSizeGreaterThan(10);
        Path dir = Files.createTempDirectory("snippets");
        List<String> args = new ArrayList<>(List.of("-proc:none", "-d", dir.resolve("classes").toString(),
                "-classpath", System.getProperty("java.class.path")));
        for (int i = 0; i < snippets.size(); i++) {
            Path src = dir.resolve("Snippet" + i + ".java");
            Files.writeString(src, toClass("Snippet" + i, snippets.get(i)));
            args.add(src.toString());
        }
        // javac through java.util.spi.ToolProvider (java.base), so the test module needs no java.compiler
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        StringWriter out = new StringWriter();
        PrintWriter pw = new PrintWriter(out);
        int status = javac.run(pw, pw, args.toArray(String[]::new));
        pw.flush();
        assertThat(status).as("javac output:%n%s", out).isZero();
    }

    private static List<Snippet> collect() throws IOException {
        List<Snippet> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).trim().equals("* {@snippet :")) {
                        int start = i + 1;
                        StringBuilder text = new StringBuilder();
                        int j = start;
                        int depth = 0; // the snippet ends at the "}" that balances "{@snippet :"
                        for (; j < lines.size(); j++) {
                            String l = lines.get(j).trim();
                            String code = l.startsWith("*") ? l.substring(1) : l;
                            if (depth == 0 && code.trim().equals("}")) {
                                break;
                            }
                            depth += braces(code);
                            text.append(code).append('\n');
                        }
                        found.add(new Snippet(f.getFileName().toString(), start, text.toString()));
                        i = j;
                    }
                }
            }
        }
        return found;
    }

    private static int braces(String line) {
        int d = 0;
        for (char c : line.toCharArray()) {
            d += c == '{' ? 1 : c == '}' ? -1 : 0;
        }
        return d;
    }

    private static String toClass(String name, Snippet s) {
        StringBuilder members = new StringBuilder();
        StringBuilder body = new StringBuilder();
        int depth = 0;
        boolean inMember = false;
        for (String line : s.text().split("\n")) {
            if (depth == 0 && METHOD_START.matcher(line.trim()).matches()) {
                inMember = true;
            }
            (inMember ? members : body).append(line).append('\n');
            depth += braces(line);
            if (depth == 0) {
                inMember = false;
            }
        }
        return """
                import aivi.concurrency.*;
                import aivi.concurrency.Clock;
                import aivi.concurrency.EffectRuntime;
                import java.io.*;
                import java.nio.file.*;
                import java.time.Duration;
                import java.util.*;
                import java.util.concurrent.*;
                import java.util.function.*;

                // from %s, line %d
                @SuppressWarnings("unused")
                class %s {
                %s
                    void example() throws Exception {
                %s
                    }
                }
                """.formatted(s.file(), s.line(), name, members, body);
    }
}
