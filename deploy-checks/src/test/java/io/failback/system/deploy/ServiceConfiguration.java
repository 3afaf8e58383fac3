package io.failback.system.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The configuration one Quarkus service reads, found in its sources rather than listed by hand, so that a key added
 * to the code without a value in deploy/ fails the build:
 * <ul>
 * <li>{@code ${ENV_VAR}} and {@code ${ENV_VAR:default}} in application.properties (active in the prod profile) and in
 * Java strings: the default is the local-run value, so every such variable must be set in a deployment;</li>
 * <li>{@code @ConfigMapping} interfaces: a property without {@code @WithDefault} that application.properties does not
 * set must come from its environment variable;</li>
 * <li>{@code @ConfigProperty(name = ...)} without {@code defaultValue}, likewise;</li>
 * <li>a Java string that is an environment variable's name ({@code "HOST_AGENT_REGISTRATION_KEY_FILE"}): code that
 * runs before Quarkus's configuration exists (host-agent's registration) reads the environment itself. Such a variable
 * may be set; whether it must be, only that code knows.</li>
 * </ul>
 * Environment variables map to keys the way SmallRye Config does: upper case, every other character an underscore.
 *
 * @param module              the module, also the image's name
 * @param httpPort            {@code quarkus.http.port} in the prod profile
 * @param requiredEnvironment variables a deployment must set
 * @param readableEnvironment every variable that sets a key the service knows
 * @param storageEnvironment  variables that name a folder the service keeps state in ({@code Path} properties)
 * @param consumedTopics      the Kafka topics of its incoming channels ({@code mp.messaging.incoming.*.topic}), whose
 *                            partitions its replicas share through a consumer group
 * @param producedTopics      the topics it writes: its outgoing channels' and its incoming channels' dead-letter topics
 */
record ServiceConfiguration(String module, int httpPort, SortedSet<String> requiredEnvironment,
        Set<String> readableEnvironment, SortedSet<String> storageEnvironment, SortedSet<String> consumedTopics,
        SortedSet<String> producedTopics) {

    /** Quarkus reads its own settings from QUARKUS_*, and every Kafka client takes kafka.* (KAFKA_*) as defaults. */
    private static final String QUARKUS_PREFIX = "QUARKUS_";
    private static final String KAFKA_PREFIX = "KAFKA_";
    /** The JVM itself reads this one, whatever the service. */
    private static final String JVM_OPTIONS = "JAVA_TOOL_OPTIONS";
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([^:}$\"]+)(:)?");
    private static final Pattern ENVIRONMENT_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final Pattern COMMENT_OR_STRING = Pattern.compile("(\"(?:\\\\.|[^\"\\\\])*\")|/\\*[\\s\\S]*?\\*/|//[^\\n]*");
    private static final Pattern CONFIG_MAPPING = Pattern.compile("@ConfigMapping\\s*\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"[^)]*\\)[^{]*?interface\\s+(\\w+)");
    private static final Pattern MAPPING_METHOD = Pattern.compile("((?:@[\\w.]+\\s*(?:\\([^)]*\\))?\\s*)*)([\\w.]+(?:<[^()]*>)?)\\s+(\\w+)\\s*\\(\\s*\\)");
    private static final Pattern CONFIG_PROPERTY = Pattern.compile("@ConfigProperty\\s*\\(([^)]*)\\)\\s*(?:final\\s+)?([\\w.]+(?:<[^()]*>)?)\\s+\\w+");
    /** A string literal of upper-case words joined by underscores: how code names a variable it reads itself. */
    private static final Pattern ENVIRONMENT_LITERAL = Pattern.compile("\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\"");
    private static final Pattern INCOMING_TOPIC = Pattern.compile("mp\\.messaging\\.incoming\\.[^.]+\\.topic");
    /** An outgoing channel's topic, or where an incoming channel dead-letters what it cannot read. */
    private static final Pattern PRODUCED_TOPIC = Pattern.compile(
            "mp\\.messaging\\.(outgoing\\.[^.]+\\.topic|incoming\\.[^.]+\\.dead-letter-queue\\.topic)");

    static ServiceConfiguration read(Path moduleDir) {
        String module = moduleDir.getFileName().toString();
        Map<String, String> properties = activeProperties(moduleDir.resolve("src/main/resources/application.properties"));
        Scan scan = new Scan(properties);
        properties.values().forEach(scan::expressions);
        for (Path source : javaSources(moduleDir.resolve("src/main/java"))) {
            String text = readText(source);
            scan.expressions(text);
            String code = withoutComments(text);
            Matcher literal = ENVIRONMENT_LITERAL.matcher(code);
            while (literal.find()) {
                scan.readable.add(literal.group(1));
            }
            Matcher mapping = CONFIG_MAPPING.matcher(code);
            while (mapping.find()) {
                scan.mapping(mapping.group(1), interfaceBody(code, mapping.end()), code);
            }
            Matcher property = CONFIG_PROPERTY.matcher(code);
            while (property.find()) {
                String attributes = property.group(1);
                String key = attribute(attributes, "name");
                scan.key(key, attributes.contains("defaultValue") || isOptional(property.group(2)), false);
            }
        }
        int httpPort = Integer.parseInt(properties.getOrDefault("quarkus.http.port", "8080"));
        SortedSet<String> consumedTopics = new TreeSet<>();
        SortedSet<String> producedTopics = new TreeSet<>();
        properties.forEach((key, value) -> {
            if (INCOMING_TOPIC.matcher(key).matches()) {
                consumedTopics.add(value);
            }
            if (PRODUCED_TOPIC.matcher(key).matches()) {
                producedTopics.add(value);
            }
        });
        return new ServiceConfiguration(module, httpPort, scan.required, Set.copyOf(scan.readable), scan.storage, consumedTopics,
                producedTopics);
    }

    /** Whether a variable set in a deployment reaches this service's configuration (a typo does not). */
    boolean reads(String environmentName) {
        return readableEnvironment.contains(environmentName)
                || environmentName.startsWith(QUARKUS_PREFIX)
                || environmentName.equals(JVM_OPTIONS)
                || environmentName.startsWith(KAFKA_PREFIX) && readableEnvironment.stream().anyMatch(name -> name.startsWith(KAFKA_PREFIX));
    }

    static String environmentName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** What the scan found so far; keys set in application.properties need no variable. */
    private static final class Scan {
        final Map<String, String> properties;
        final SortedSet<String> required = new TreeSet<>();
        final Set<String> readable = new HashSet<>();
        final SortedSet<String> storage = new TreeSet<>();

        Scan(Map<String, String> properties) {
            this.properties = properties;
            properties.keySet().forEach(key -> readable.add(environmentName(key)));
        }

        void expressions(String text) {
            Matcher expression = EXPRESSION.matcher(text);
            while (expression.find()) {
                String name = expression.group(1).trim();
                if (ENVIRONMENT_NAME.matcher(name).matches()) {
                    required.add(name);
                    readable.add(name);
                } else {
                    key(name, expression.group(2) != null, false);
                }
            }
        }

        void key(String key, boolean hasDefault, boolean isPath) {
            String environment = environmentName(key);
            readable.add(environment);
            String value = properties.get(key);
            if (value == null && !hasDefault) {
                required.add(environment);
            }
            if (isPath) {
                storage.add(value == null ? environment : firstEnvironmentReference(value, key));
            }
        }

        /** Reads the members of one mapping interface; a member whose type is an interface nested in the file is a group. */
        void mapping(String prefix, String body, String code) {
            for (String member : topLevelMembers(body)) {
                Matcher method = MAPPING_METHOD.matcher(member.trim());
                if (!method.matches()) {
                    continue;
                }
                String annotations = method.group(1);
                String type = method.group(2);
                String name = annotations.contains("@WithName") ? attribute(annotations.substring(annotations.indexOf("@WithName")), "value")
                        : kebab(method.group(3));
                String key = annotations.contains("@WithParentName") ? prefix : prefix + "." + name;
                String groupType = type.replaceFirst("^Optional<(.*)>$", "$1");
                Matcher nested = Pattern.compile("interface\\s+" + Pattern.quote(groupType) + "\\b").matcher(code);
                if (nested.find()) {
                    mapping(key, interfaceBody(code, nested.end()), code);
                } else if (!type.startsWith("Map<")) {
                    key(key, annotations.contains("@WithDefault") || isOptional(type), type.equals("Path") || type.equals("java.nio.file.Path"));
                }
            }
        }

        private static String firstEnvironmentReference(String value, String key) {
            Matcher expression = EXPRESSION.matcher(value);
            while (expression.find()) {
                if (ENVIRONMENT_NAME.matcher(expression.group(1)).matches()) {
                    return expression.group(1);
                }
            }
            return environmentName(key);
        }
    }

    private static boolean isOptional(String type) {
        return type.startsWith("Optional");
    }

    private static String kebab(String camelCase) {
        return camelCase.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static String attribute(String annotationText, String name) {
        Matcher named = Pattern.compile("\\b" + name + "\\s*=\\s*\"([^\"]*)\"").matcher(annotationText);
        if (named.find()) {
            return named.group(1);
        }
        Matcher single = Pattern.compile("\\(\\s*\"([^\"]*)\"\\s*\\)").matcher(annotationText);
        if (name.equals("value") && single.find()) {
            return single.group(1);
        }
        throw new IllegalStateException("No " + name + " in " + annotationText);
    }

    /** The text between the braces of the interface whose header ends at {@code from}. */
    private static String interfaceBody(String code, int from) {
        int open = code.indexOf('{', from);
        int depth = 0;
        for (int i = open; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return code.substring(open + 1, i);
            }
        }
        throw new IllegalStateException("Unbalanced braces after " + code.substring(from, Math.min(code.length(), from + 80)));
    }

    /** Declarations ending in ';' at the body's own level; nested types and default methods are skipped whole. */
    private static List<String> topLevelMembers(String body) {
        List<String> members = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int depth = 0;
        for (char c : body.toCharArray()) {
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (--depth == 0) {
                    current.setLength(0);
                }
            } else if (depth == 0) {
                if (c == ';') {
                    members.add(current.toString());
                    current.setLength(0);
                } else {
                    current.append(c);
                }
            }
        }
        return members;
    }

    private static String withoutComments(String code) {
        return COMMENT_OR_STRING.matcher(code).replaceAll(match -> match.group(1) == null ? " " : Matcher.quoteReplacement(match.group(1)));
    }

    /** Keys without a profile and those of the prod profile (without the prefix), as Quarkus runs in a container. */
    private static Map<String, String> activeProperties(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> active = new HashMap<>();
        Map<String, String> prod = new HashMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (!key.startsWith("%")) {
                active.put(key, properties.getProperty(key));
            } else if (List.of(key.substring(1, key.indexOf('.')).split(",")).contains("prod")) {
                prod.put(key.substring(key.indexOf('.') + 1), properties.getProperty(key));
            }
        }
        active.putAll(prod);
        return active;
    }

    private static List<Path> javaSources(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(file -> file.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
