package io.failback.hostagent;

import io.failback.sitedisk.logging.RunLogContext;

import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.sitedisk.VirtualDisk;
import io.failback.sitedisk.blockapi.BlockApi;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Serves this host's disks through the block API, at most {@link HostAgentConfig#maxConcurrentCopies} streams at once;
 * a write marks the disk inconsistent until it is verified.
 */
@ApplicationScoped
public class BlockRoutes {
    void register(@Observes Router router, Vertx vertx, HostVmStore store, CertificateStore certificates, HostAgentConfig config) {
        RunLogContext.install(router);
        BlockApi.StreamLimit limit = new BlockApi.StreamLimit(config.maxConcurrentCopies(),
                "host-agent.max-concurrent-copies, HOST_AGENT_MAX_COPIES");
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public VirtualDisk disk(String vmName, String diskId) {
                return store.disk(vmName, diskId);
            }

            @Override
            public void recordSyncProgress(String vmName, String diskId, String syncId, long blocksThrough) {
                store.recordSyncProgress(vmName, diskId, syncId, blocksThrough);
            }

            @Override
            public CloudKey outgoingKey() {
                return certificates.newest();
            }

            @Override
            public BlockStreamDecoder.KeyRing keys() {
                return certificates::key;
            }

            @Override
            public BlockApi.StreamLimit streamLimit() {
                return limit;
            }

            @Override
            public VirtualDisk openForWrite(String vmName, String diskId, boolean fullCopy) {
                return store.openForSynchronization(vmName, diskId, fullCopy);
            }
        });
    }
}
