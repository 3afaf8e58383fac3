package io.failback.hostagent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.List;

/** Who this simulated Hyper-V host is. Several host-agents can run at once, each with its own id and folder. */
@ConfigMapping(prefix = "host-agent")
public interface HostAgentConfig {
    /** The host's Site Recovery provider id: how job-service and failback requests name it. */
    String providerId();

    /** The host's name, e.g. hyperv-a.contoso.local. */
    String name();

    /** Names of the Hyper-V virtual switches on this host. */
    List<String> virtualSwitches();

    /** VM definitions and disk images; everything survives a restart. */
    Path storageDir();

    /** Where this agent's API answers, as other services should call it. */
    String advertisedUrl();

    /** Block size of disks created here (bytes). */
    @WithDefault("65536")
    int blockSize();

    /**
     * How many block streams (copies to or from this host) it serves at once; a copy beyond them is refused with
     * 503 SiteBusy and waits, saying so in its task. The host's disks and link are shared by every copy.
     */
    @WithDefault("4")
    int maxConcurrentCopies();
}
