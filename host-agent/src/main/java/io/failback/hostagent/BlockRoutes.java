package io.failback.hostagent;

import io.failback.contracts.blockstream.BlockApi;
import io.failback.contracts.blockstream.DiskFile;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Serves this host's disks through the block API; a write marks the disk inconsistent until it is verified. */
@ApplicationScoped
public class BlockRoutes {
    void register(@Observes Router router, Vertx vertx, HostVmStore store) {
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public DiskFile openForRead(String vmName, String diskId) {
                return store.openForRead(vmName, diskId);
            }

            @Override
            public DiskFile openForWrite(String vmName, String diskId, boolean fullCopy) {
                return store.openForSynchronization(vmName, diskId, fullCopy);
            }
        });
    }
}
