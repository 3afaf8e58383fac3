package io.failback.system;

import java.util.List;

/**
 * One simulated Hyper-V host, served by its own host-agent process.
 *
 * @param id              the provider id the other services know the host by, e.g. {@code host-a}
 * @param hostName        the name it reports, e.g. {@code hyperv-a.contoso.local}
 * @param virtualSwitches the switches a restored VM can be connected to
 */
public record HostAgent(String id, String hostName, List<String> virtualSwitches) {

    public HostAgent {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            // The id names log and pid files.
            throw new IllegalArgumentException("A host id may use letters, digits, '.', '_' and '-': " + id);
        }
        virtualSwitches = List.copyOf(virtualSwitches);
    }

    public HostAgent(String id, String hostName, String... virtualSwitches) {
        this(id, hostName, List.of(virtualSwitches));
    }

    /** The host {@code ./failback up} runs when none is given. */
    public static HostAgent defaultHost() {
        return new HostAgent("host-a", "hyperv-a.contoso.local", "vSwitch-Prod");
    }

    /**
     * Parses {@code id:hostName:switch1,switch2} as given to {@code --host}.
     */
    public static HostAgent parse(String spec) {
        String[] parts = spec.split(":", 3);
        if (parts.length != 3 || parts[2].isBlank()) {
            throw new IllegalArgumentException("Expected --host id:hostName:switch1[,switch2...], got " + spec);
        }
        return new HostAgent(parts[0], parts[1], List.of(parts[2].split(",")));
    }

    /** The name of its process in logs, pid files and {@link LocalSystem#startService}. */
    public String serviceName() {
        return ProjectLayout.HOST_AGENT + "-" + id;
    }
}
