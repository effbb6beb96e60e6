import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The versions users get (JBang's //DEPS in lib/cli/Dependencies.java) are the versions the tests ran with (pom.xml). */
@Tag("unit")
class DependenciesTest {

    @Test
    void pomXmlNamesTheVersionsOfTheDepsLines() throws Exception {
        Map<String, String> deps = new LinkedHashMap<>(); // group:artifact -> version, as JBang reads them
        for (String line : Files.readAllLines(Path.of("lib/cli/Dependencies.java"))) {
            if (!line.startsWith("//DEPS ")) continue;
            String[] parts = line.substring(7).trim().replace("@pom", "").split(":");
            deps.put(parts[0] + ":" + parts[1], parts[2]);
        }
        try (var sources = Files.walk(Path.of("."))) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java") && !p.startsWith("./tests") && !p.startsWith("./target")
                    && !p.endsWith("Dependencies.java")).toList()) {
                for (String line : read(source).lines().filter(l -> l.startsWith("//DEPS ")).toList()) {
                    // the product's scripts take lib/ in and name none; a bench script of its own names the same versions
                    assertTrue(source.startsWith("./bench"), source + " keeps //DEPS of its own: move them to lib/cli/Dependencies.java");
                    String[] parts = line.substring(7).trim().replace("@pom", "").split(":");
                    assertEquals(deps.get(parts[0] + ":" + parts[1]), parts[2], source + ": " + line);
                }
            }
        }
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        Map<String, String> properties = new LinkedHashMap<>();
        NodeList props = ((Element) pom.getElementsByTagName("properties").item(0)).getChildNodes();
        for (int i = 0; i < props.getLength(); i++) {
            if (props.item(i) instanceof Element property) properties.put(property.getTagName(), property.getTextContent().trim());
        }
        Map<String, String> inPom = new LinkedHashMap<>(); // every dependency and BOM import of the test build that names a version
        NodeList dependencies = pom.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            if (dependency.getElementsByTagName("scope").getLength() > 0
                && dependency.getElementsByTagName("scope").item(0).getTextContent().equals("test")) continue;
            NodeList version = dependency.getElementsByTagName("version");
            if (version.getLength() == 0) continue;
            String value = version.item(0).getTextContent().trim();
            if (value.startsWith("${")) value = properties.get(value.substring(2, value.length() - 1));
            inPom.put(text(dependency, "groupId") + ":" + text(dependency, "artifactId"), value);
        }
        for (var entry : inPom.entrySet()) {
            if (entry.getKey().equals("org.junit:junit-bom")) continue; // the tests' own
            assertEquals(entry.getValue(), deps.get(entry.getKey()), entry.getKey() + ": pom.xml and lib/cli/Dependencies.java disagree");
        }
        for (var entry : deps.entrySet()) {
            // a //DEPS entry pom.xml does not name itself comes in through a BOM both name (Jackson's modules)
            String version = inPom.containsKey(entry.getKey()) ? inPom.get(entry.getKey())
                : inPom.entrySet().stream().filter(e -> e.getKey().endsWith("-bom") && entry.getKey().startsWith(e.getKey().split(":")[0]))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            assertEquals(entry.getValue(), version, entry.getKey() + " is not in pom.xml at the version JBang gets");
        }
    }

    private static String text(Element element, String tag) {
        return element.getElementsByTagName(tag).item(0).getTextContent().trim();
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
