package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kafka broker the render runs itself (the dev overlay's {@code apache/kafka} StatefulSet) and the configuration it
 * starts with: the file its command hands to {@code kafka-server-start.sh}, read from the ConfigMap mounted there. A
 * broker configured any other way (the image's own start script, which turns {@code KAFKA_*} variables into a
 * configuration) fails the read: the checks would not see its settings.
 *
 * @param command the container's command and arguments, one a line (for {@code sh -c}, the script)
 */
record InClusterBroker(Workload workload, Container container, String command, Properties config) {
    static final String IMAGE = "apache/kafka";
    /** The principal of the broker's own certificate ({@code CN=kafka,O=Failback}), its identity on its controller link. */
    static final String BROKER_PRINCIPAL = "kafka";
    /** The administrator's principal ({@code CN=admin,O=Failback}), the one that makes the topics and the ACLs. */
    static final String ADMIN_PRINCIPAL = "admin";
    private static final Pattern SERVER_START = Pattern.compile("kafka-server-start\\.sh\\s+(\\S+)");
    private static final Pattern LISTENER = Pattern.compile("([A-Za-z0-9_]+)://[^:,]*:(\\d+)");

    /** The brokers among the render's workloads: every container of the Kafka image that is not a Job's. */
    static List<InClusterBroker> in(RenderedOverlay overlay) {
        List<InClusterBroker> brokers = new ArrayList<>();
        for (Workload workload : overlay.workloads()) {
            if (workload.runsToCompletion()) {
                continue;
            }
            for (Container container : workload.containers()) {
                if (ImageName.parse(container.getImage()).name().equals(IMAGE)) {
                    brokers.add(read(overlay, workload, container));
                }
            }
        }
        return brokers;
    }

    private static InClusterBroker read(RenderedOverlay overlay, Workload workload, Container container) {
        String command = commandOf(container);
        String where = overlay + " " + workload + " " + container.getName() + ": ";
        Matcher start = SERVER_START.matcher(command);
        if (!start.find()) {
            throw new IllegalStateException(where + "runs Kafka without kafka-server-start.sh <server.properties>: the checks read"
                    + " the broker's configuration from that file, on a mounted ConfigMap");
        }
        String file = start.group(1);
        MountedFile mounted = MountedFile.of(workload, container, file)
                .orElseThrow(() -> new IllegalStateException(where + file + " is on no volume mount"));
        ConfigMap configMap = mounted.configMapName().flatMap(name -> overlay.named(ConfigMap.class, name))
                .orElseThrow(() -> new IllegalStateException(where + file + " is not on a ConfigMap of the render"));
        String text = Objects.requireNonNullElse(configMap.getData(), Map.<String, String>of()).get(mounted.key());
        if (text == null) {
            throw new IllegalStateException(where + file + " is no key of ConfigMap " + configMap.getMetadata().getName());
        }
        Properties config = new Properties();
        try {
            config.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new InClusterBroker(workload, container, command, config);
    }

    static String commandOf(Container container) {
        List<String> words = new ArrayList<>(Objects.requireNonNullElse(container.getCommand(), List.of()));
        words.addAll(Objects.requireNonNullElse(container.getArgs(), List.of()));
        return String.join("\n", words);
    }

    String setting(String key) {
        return config.getProperty(key);
    }

    /** A listener's own value ({@code listener.name.<listener>.<key>}, the name in lower case) or else the broker's. */
    String setting(String listener, String key) {
        return Optional.ofNullable(config.getProperty("listener.name." + listener.toLowerCase(Locale.ROOT) + "." + key))
                .orElse(config.getProperty(key));
    }

    /** The listeners by name, with their ports ({@code listeners}). */
    Map<String, Integer> listeners() {
        Map<String, Integer> listeners = new LinkedHashMap<>();
        Matcher listener = LISTENER.matcher(Objects.requireNonNullElse(setting("listeners"), ""));
        while (listener.find()) {
            listeners.put(listener.group(1), Integer.parseInt(listener.group(2)));
        }
        return listeners;
    }

    /**
     * Each listener's security protocol: {@code listener.security.protocol.map}, whose default maps each protocol's
     * own name to itself (a listener named SSL is SSL).
     */
    String securityProtocol(String listener) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String entry : Objects.requireNonNullElse(setting("listener.security.protocol.map"), "").split(",")) {
            String[] parts = entry.trim().split(":");
            if (parts.length == 2) {
                map.put(parts[0].trim(), parts[1].trim());
            }
        }
        return map.getOrDefault(listener, listener);
    }

    /** The protocols {@code listener.security.protocol.map} names, whether a listener uses them or not. */
    Set<String> mappedProtocols() {
        Set<String> protocols = new LinkedHashSet<>();
        for (String entry : Objects.requireNonNullElse(setting("listener.security.protocol.map"), "").split(",")) {
            String[] parts = entry.trim().split(":");
            if (parts.length == 2) {
                protocols.add(parts[1].trim());
            }
        }
        return protocols;
    }

    /** The listener on a port, if any. */
    Optional<String> listenerOn(int port) {
        return listeners().entrySet().stream().filter(entry -> entry.getValue() == port).map(Map.Entry::getKey).findFirst();
    }

    /** {@code super.users}: principals such as {@code User:admin}, separated by semicolons. */
    Set<String> superUsers() {
        Set<String> users = new LinkedHashSet<>();
        for (String user : Objects.requireNonNullElse(setting("super.users"), "").split(";")) {
            if (!user.isBlank()) {
                users.add(user.trim());
            }
        }
        return users;
    }

    @Override
    public String toString() {
        return workload.toString();
    }
}
