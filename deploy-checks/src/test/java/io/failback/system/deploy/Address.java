package io.failback.system.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A host and port named in a configuration value: a URL, or a {@code host:port} list such as Kafka's bootstrap servers. */
record Address(String host, int port) {
    private static final Pattern ITEM = Pattern.compile(
            "(?:([a-zA-Z][a-zA-Z0-9+.-]*)://)?([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\\d+))?(?:/.*)?");
    private static final Map<String, Integer> DEFAULT_PORTS = Map.of("http", 80, "https", 443, "postgresql", 5432);

    /** The addresses in a value; words, paths and ports without a host are none. */
    static List<Address> in(String value) {
        List<Address> addresses = new ArrayList<>();
        for (String item : value.split(",")) {
            Matcher matcher = ITEM.matcher(item.trim());
            if (!matcher.matches()) {
                continue;
            }
            String scheme = matcher.group(1);
            if (matcher.group(3) != null) {
                addresses.add(new Address(matcher.group(2), Integer.parseInt(matcher.group(3))));
            } else if (scheme != null && DEFAULT_PORTS.containsKey(scheme)) {
                addresses.add(new Address(matcher.group(2), DEFAULT_PORTS.get(scheme)));
            }
        }
        return addresses;
    }

    /** Traffic to these never leaves the pod. */
    boolean isLoopback() {
        return host.equals("localhost") || host.startsWith("127.");
    }

    /** The Service this host names inside {@code namespace}: {@code name}, {@code name.namespace}, {@code name.namespace.svc...}. */
    String serviceName(String namespace) {
        String[] labels = host.split("\\.");
        if (labels.length == 1) {
            return host;
        }
        boolean inNamespace = labels[1].equals(namespace)
                && (labels.length == 2 || labels[2].equals("svc") && (labels.length == 3 || host.endsWith(".svc.cluster.local")));
        return inNamespace ? labels[0] : null;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
