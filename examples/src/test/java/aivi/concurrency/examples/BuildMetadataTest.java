package aivi.concurrency.examples;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The publishing metadata stays consistent as modules come and go: the BOM (which has no parent, see its POM)
 * carries the parent's version and manages exactly the modules that are published, and every published
 * module inherits the metadata a repository requires.
 */
class BuildMetadataTest {
    private static Path root() {
        return Path.of(System.getProperty("aivi.readme", "../README.md")).toAbsolutePath().normalize().getParent();
    }

    private static Element pom(Path file) throws Exception {
        var factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(false);
        Document doc = factory.newDocumentBuilder().parse(file.toFile());
        return doc.getDocumentElement();
    }

    private static String child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c.getTextContent().trim();
            }
        }
        return null;
    }

    private static Element childElement(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** The artifactIds of the parent's modules that are deployed (jar modules without maven.deploy.skip). */
    private static List<String> publishedModules(Element parent) throws Exception {
        List<String> out = new ArrayList<>();
        NodeList modules = childElement(parent, "modules").getElementsByTagName("module");
        for (int i = 0; i < modules.getLength(); i++) {
            Element module = pom(root().resolve(modules.item(i).getTextContent().trim()).resolve("pom.xml"));
            Element props = childElement(module, "properties");
            boolean skipped = props != null && "true".equals(child(props, "maven.deploy.skip"));
            boolean pomOnly = "pom".equals(child(module, "packaging"));
            if (!skipped && !pomOnly) {
                out.add(child(module, "artifactId"));
            }
        }
        return out;
    }

    @Test
    void theBomHasTheParentsVersionAndManagesEveryPublishedModule() throws Exception {
        Element parent = pom(root().resolve("pom.xml"));
        Element bom = pom(root().resolve("aivi-concurrency-bom/pom.xml"));
        assertThat(child(bom, "version")).isEqualTo(child(parent, "version"));
        assertThat(child(bom, "groupId")).isEqualTo(child(parent, "groupId"));

        List<String> managed = new ArrayList<>();
        NodeList deps = childElement(childElement(bom, "dependencyManagement"), "dependencies")
                .getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            assertThat(child(d, "version")).isEqualTo("${project.version}");
            managed.add(child(d, "artifactId"));
        }
        assertThat(managed).containsExactlyInAnyOrderElementsOf(publishedModules(parent));
    }

    @Test
    void thePublishedPomsCarryWhatARepositoryRequires() throws Exception {
        for (Path file : List.of(root().resolve("pom.xml"), root().resolve("aivi-concurrency-bom/pom.xml"))) {
            Element pom = pom(file);
            for (String required : List.of("name", "description", "url", "licenses", "scm", "developers",
                    "issueManagement")) {
                assertThat(child(pom, required)).as("%s in %s", required, file).isNotBlank();
            }
            assertThat(child(childElement(pom, "properties"), "project.build.outputTimestamp"))
                    .as("reproducible builds in %s", file).isNotBlank();
        }
        assertThat(root().resolve("LICENSE")).content().contains("Apache License", "Version 2.0, January 2004");
    }
}
