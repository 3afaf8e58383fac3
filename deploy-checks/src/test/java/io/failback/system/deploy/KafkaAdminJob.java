package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.SecurityUtils;

/**
 * A Job that administers an in-cluster broker with Kafka's own tools (the dev overlay's kafka-acls): its shell script,
 * read the way the shell and the tools read it. Each {@code kafka-acls.sh} call must be one command of its own (lines
 * joined by a trailing backslash) with options these checks know; anything else fails the read, so an ACL cannot hide
 * in a construct the checks skip.
 *
 * @param script the container's command and arguments, one a line (for {@code sh -c}, the script)
 */
record KafkaAdminJob(Workload workload, Container container, String script) {
    static final String ACL_TOOL = "kafka-acls.sh";
    /** The variable that lists the topics the Job creates, separated by white space. */
    static final String TOPICS = "TOPICS";
    private static final Set<String> ACL_FLAGS = Set.of("--add");
    private static final Set<String> ACL_OPTIONS = Set.of("--bootstrap-server", "--command-config", "--allow-principal", "--allow-host",
            "--operation", "--topic", "--group", "--resource-pattern-type");
    private static final Pattern HEREDOC = Pattern.compile("^cat\\s+>\\s*(\\S+)\\s+<<-?\\s*'?(\\w+)'?\\s*$");

    /** The Jobs that run the Kafka image and call kafka-acls.sh. */
    static List<KafkaAdminJob> in(RenderedOverlay overlay) {
        List<KafkaAdminJob> jobs = new ArrayList<>();
        for (Workload workload : overlay.workloads()) {
            if (!workload.runsToCompletion()) {
                continue;
            }
            for (Container container : workload.containers()) {
                String script = InClusterBroker.commandOf(container);
                if (ImageName.parse(container.getImage()).name().equals(InClusterBroker.IMAGE) && script.contains(ACL_TOOL)) {
                    jobs.add(new KafkaAdminJob(workload, container, script));
                }
            }
        }
        return jobs;
    }

    /** Every ACL the script adds, as Kafka's AclCommand would build it from the same arguments. */
    Set<AclBinding> acls() {
        Set<AclBinding> acls = new LinkedHashSet<>();
        for (List<String> words : aclCalls()) {
            acls.addAll(aclsOf(words));
        }
        return acls;
    }

    /** The {@code --command-config} files the kafka-acls.sh calls use. */
    Set<String> aclCommandConfigs() {
        Set<String> files = new LinkedHashSet<>();
        for (List<String> words : aclCalls()) {
            for (int i = 1; i < words.size() - 1; i++) {
                if (words.get(i).equals("--command-config")) {
                    files.add(words.get(i + 1));
                }
            }
        }
        return files;
    }

    /** The files the script writes with {@code cat > file <<EOF ... EOF}, read as properties. */
    Map<String, Properties> writtenProperties() {
        Map<String, Properties> files = new LinkedHashMap<>();
        String[] lines = script.split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher heredoc = HEREDOC.matcher(lines[i].trim());
            if (!heredoc.matches()) {
                continue;
            }
            StringBuilder text = new StringBuilder();
            for (i++; i < lines.length && !lines[i].trim().equals(heredoc.group(2)); i++) {
                text.append(lines[i].trim()).append('\n');
            }
            Properties properties = new Properties();
            try {
                properties.load(new StringReader(text.toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            files.put(heredoc.group(1), properties);
        }
        return files;
    }

    /** Each kafka-acls.sh command of the script as the shell splits it into words. */
    private List<List<String>> aclCalls() {
        List<List<String>> calls = new ArrayList<>();
        for (String line : script.replace("\\\n", " ").split("\n")) {
            if (!line.contains(ACL_TOOL)) {
                continue;
            }
            List<String> words = words(line);
            if (words.isEmpty() || !words.get(0).endsWith("/" + ACL_TOOL) && !words.get(0).equals(ACL_TOOL)) {
                throw new IllegalStateException(workload + ": " + ACL_TOOL + " inside a longer command; call it as a command of its own: " + line.trim());
            }
            calls.add(words);
        }
        return calls;
    }

    private Set<AclBinding> aclsOf(List<String> words) {
        Map<String, List<String>> options = new LinkedHashMap<>();
        boolean add = false;
        for (int i = 1; i < words.size(); i++) {
            String word = words.get(i);
            if (ACL_FLAGS.contains(word)) {
                add = true;
            } else if (ACL_OPTIONS.contains(word) && i + 1 < words.size()) {
                options.computeIfAbsent(word, key -> new ArrayList<>()).add(words.get(++i));
            } else {
                throw new IllegalStateException(workload + ": " + ACL_TOOL + " " + word + " is not an option these checks know "
                        + "(--add, " + ACL_OPTIONS + "): say the ACL with those, or teach KafkaAdminJob its meaning");
            }
        }
        if (!add) {
            throw new IllegalStateException(workload + ": a " + ACL_TOOL + " call without --add: " + words);
        }
        // AclCommand's defaults: every host where a principal is allowed, operation All, a literal pattern.
        List<String> hosts = options.getOrDefault("--allow-host", List.of("*"));
        List<AclOperation> operations = options.getOrDefault("--operation", List.of("All")).stream().map(SecurityUtils::operation).toList();
        PatternType pattern = patternType(options.getOrDefault("--resource-pattern-type", List.of("literal")).get(0));
        List<ResourcePattern> resources = new ArrayList<>();
        options.getOrDefault("--topic", List.of()).forEach(topic -> resources.add(new ResourcePattern(ResourceType.TOPIC, topic, pattern)));
        options.getOrDefault("--group", List.of()).forEach(group -> resources.add(new ResourcePattern(ResourceType.GROUP, group, pattern)));
        Set<AclBinding> acls = new LinkedHashSet<>();
        for (String principal : options.getOrDefault("--allow-principal", List.of())) {
            String user = SecurityUtils.parseKafkaPrincipal(principal).toString();
            for (ResourcePattern resource : resources) {
                for (AclOperation operation : operations) {
                    for (String host : hosts) {
                        acls.add(new AclBinding(resource, new AccessControlEntry(user, host, operation, AclPermissionType.ALLOW)));
                    }
                }
            }
        }
        return acls;
    }

    /** As AclCommand reads --resource-pattern-type (joptsimple's EnumConverter: any case), for --add a specific one. */
    private PatternType patternType(String value) {
        return Arrays.stream(PatternType.values()).filter(type -> type.name().equalsIgnoreCase(value))
                .filter(PatternType::isSpecific).findFirst()
                .orElseThrow(() -> new IllegalStateException(workload + ": --resource-pattern-type " + value + " adds no ACL (literal or prefixed)"));
    }

    /** A line split into words as the shell does: white space between words, quotes and backslashes kept out, # a comment. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (c == '#' && word == null) {
                break;
            }
            if (";&|<>()`".indexOf(c) >= 0) {
                throw new IllegalStateException("a command with " + c + ", which these checks do not read: " + line.trim());
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (c == '\'' || c == '"') {
                int end = line.indexOf(c, i + 1);
                if (end < 0) {
                    throw new IllegalStateException("an unclosed quote: " + line.trim());
                }
                word.append(line, i + 1, end);
                i = end;
            } else if (c == '\\' && i + 1 < line.length()) {
                word.append(line.charAt(++i));
            } else {
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
