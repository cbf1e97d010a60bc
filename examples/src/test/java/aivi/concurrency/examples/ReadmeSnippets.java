package aivi.concurrency.examples;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the {@code ```java} blocks of a README into one compilable class, so the README's examples are tested
 * exactly as written.
 *
 * <ul>
 *   <li>{@code import} lines, in any block, become the imports of the class.</li>
 *   <li>A block that starts with a declaration ({@code static ...}, {@code record}, {@code sealed interface},
 *       ...) is a <em>member</em> block: it goes into the class body as is, and every snippet can use it.</li>
 *   <li>Any other block is a <em>snippet</em>: the body of its own static method {@code snippetLINE()}.</li>
 *   <li>In a snippet, a declaration followed by {@code // => value} is checked: the variable's
 *       {@code String.valueOf} must equal {@code value} (surrounding quotes are dropped). The check is
 *       appended to the same line, so line numbers map one to one.</li>
 * </ul>
 */
final class ReadmeSnippets {
    static final String PACKAGE = "readme";
    static final String CLASS = "Snippets";

    /**
     * A fenced {@code java} block.
     *
     * @param firstLine the README line (from 1) of the block's first code line
     * @param lines     the code lines
     */
    record Block(int firstLine, List<String> lines) {
        boolean isMembers() {
            for (String line : lines) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("//") || l.startsWith("import ")) {
                    continue;
                }
                return MEMBER_START.matcher(l).lookingAt();
            }
            return false;
        }

        boolean onlyImports() {
            return lines.stream().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("import "));
        }
    }

    /**
     * The generated class.
     *
     * @param source       its Java source
     * @param readmeLineOf the README line of each source line (index = source line - 1), 0 for generated lines
     * @param snippets     the README line of each snippet method, in README order
     */
    record Generated(String source, List<Integer> readmeLineOf, List<Integer> snippets) {
        int readmeLine(long sourceLine) {
            int i = (int) sourceLine - 1;
            return i >= 0 && i < readmeLineOf.size() ? readmeLineOf.get(i) : 0;
        }

        static String methodName(int readmeLine) {
            return "snippet" + readmeLine;
        }
    }

    private static final Pattern MEMBER_START = Pattern.compile(
            "(static|record|sealed|non-sealed|final|abstract|interface|enum|class|public|private)\\b");
    private static final Pattern FENCE_JAVA = Pattern.compile("^```java\\s*$");
    private static final Pattern FENCE_END = Pattern.compile("^```\\s*$");
    /** {@code Type name = expression; // => expected}: group 1 is the code, 2 the name, 3 the expected value. */
    private static final Pattern CHECKED = Pattern.compile(
            "^(\\s*(?:final\\s+)?[\\w.$<>,?\\[\\] ]+?\\s(\\w+)\\s*=[^=].*;)\\s*//\\s*=>\\s*(.+?)\\s*$");

    private ReadmeSnippets() {
    }

    /** The {@code ```java} blocks of {@code readme}, whose lines are given without line terminators. */
    static List<Block> javaBlocks(List<String> readme) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < readme.size(); i++) {
            if (FENCE_JAVA.matcher(readme.get(i)).matches()) {
                int start = i + 1;
                int end = start;
                while (end < readme.size() && !FENCE_END.matcher(readme.get(end)).matches()) {
                    end++;
                }
                if (end == readme.size()) {
                    throw new IllegalArgumentException("README.md line " + (i + 1) + ": a java block is never closed");
                }
                blocks.add(new Block(start + 1, List.copyOf(readme.subList(start, end))));
                i = end;
            }
        }
        return blocks;
    }

    /** Generates the class from the blocks. */
    static Generated generate(List<Block> blocks) {
        Set<String> imports = new LinkedHashSet<>();
        for (Block b : blocks) {
            for (String line : b.lines()) {
                if (line.strip().startsWith("import ")) {
                    imports.add(line.strip());
                }
            }
        }
        List<String> src = new ArrayList<>();
        List<Integer> map = new ArrayList<>();
        List<Integer> snippets = new ArrayList<>();
        add(src, map, "package " + PACKAGE + ";", 0);
        for (String imp : imports) {
            add(src, map, imp, 0);
        }
        add(src, map, "@SuppressWarnings(\"unused\")", 0);
        add(src, map, "public final class " + CLASS + " {", 0);
        for (Block b : blocks) {
            if (b.onlyImports()) {
                continue;
            }
            boolean members = b.isMembers();
            if (!members) {
                snippets.add(b.firstLine());
                add(src, map, "public static void " + Generated.methodName(b.firstLine()) + "() throws Exception {",
                        0);
            }
            for (int i = 0; i < b.lines().size(); i++) {
                String line = b.lines().get(i);
                int readmeLine = b.firstLine() + i;
                if (line.strip().startsWith("import ")) {
                    add(src, map, "", readmeLine);
                } else if (line.contains("// =>")) {
                    if (members) {
                        throw new IllegalArgumentException("README.md line " + readmeLine
                                + ": '// =>' checks belong in snippets, not in declarations");
                    }
                    add(src, map, checked(line, readmeLine), readmeLine);
                } else {
                    add(src, map, line, readmeLine);
                }
            }
            if (!members) {
                add(src, map, "}", 0);
            }
        }
        add(src, map, "static void readme$expect(Object actual, String expected, int readmeLine) {", 0);
        add(src, map, "    String got = String.valueOf(actual);", 0);
        add(src, map, "    if (!got.equals(expected)) {", 0);
        add(src, map, "        throw new AssertionError(\"README.md line \" + readmeLine + \": the comment says \""
                + " + expected + \" but the snippet computed \" + got);", 0);
        add(src, map, "    }", 0);
        add(src, map, "}", 0);
        add(src, map, "}", 0);
        return new Generated(String.join("\n", src) + "\n", List.copyOf(map), List.copyOf(snippets));
    }

    private static String checked(String line, int readmeLine) {
        Matcher m = CHECKED.matcher(line);
        if (!m.matches()) {
            throw new IllegalArgumentException("README.md line " + readmeLine
                    + ": '// =>' must follow a one-line declaration 'Type name = expression;', was: " + line.strip());
        }
        String expected = m.group(3);
        if (expected.length() >= 2 && expected.startsWith("\"") && expected.endsWith("\"")) {
            expected = expected.substring(1, expected.length() - 1);
        }
        return m.group(1) + " readme$expect(" + m.group(2) + ", \"" + escape(expected) + "\", " + readmeLine + ");";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static void add(List<String> src, List<Integer> map, String line, int readmeLine) {
        src.add(line);
        map.add(readmeLine);
    }
}
