package io.failback.azuresim;

import io.failback.sitedisk.logging.RunLogContext;

import io.failback.azuresim.replica.ReplicaStore;
import io.failback.azuresim.vm.AzureVmState;
import io.failback.azuresim.vm.VmStore;
import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.site.ProblemException;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.VirtualDisk;
import io.failback.sitedisk.blockapi.BlockApi;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Serves Azure VMs' disks and replica storage through the block API. Writing into a running VM's disk is refused: its
 * workload owns it. When the cloud encrypts data, no block leaves Azure in the clear.
 */
@ApplicationScoped
public class BlockRoutes {

    /** Blocks go out sealed under the cloud's key when it has one, and sealed blocks coming in must use it. */
    private abstract static class SealedWhenTheCloudEncrypts implements BlockApi.Disks {
        private final CloudEncryption encryption;

        SealedWhenTheCloudEncrypts(CloudEncryption encryption) {
            this.encryption = encryption;
        }

        @Override
        public CloudKey outgoingKey() {
            return encryption.currentKey();
        }

        @Override
        public BlockStreamDecoder.KeyRing keys() {
            return certificateId -> {
                CloudKey key = encryption.currentKey();
                return key != null && key.certificateId().equals(certificateId) ? key : null;
            };
        }
    }

    void register(@Observes Router router, Vertx vertx, VmStore store, ReplicaStore replicas, CloudEncryption encryption) {
        RunLogContext.install(router);
        BlockApi.register(vertx, router, "/api/replicas", new SealedWhenTheCloudEncrypts(encryption) {
            @Override
            public BlockDevice disk(String itemName, String diskId) {
                return replicas.device(itemName, diskId);
            }

            @Override
            public BlockDevice openForWrite(String itemName, String diskId, boolean fullCopy) {
                BlockDevice device = replicas.device(itemName, diskId);
                if (fullCopy) {
                    device.zeroAll();
                }
                return device;
            }
        });
        BlockApi.register(vertx, router, new SealedWhenTheCloudEncrypts(encryption) {
            @Override
            public VirtualDisk disk(String vmName, String diskId) {
                return store.disk(vmName, diskId);
            }

            @Override
            public VirtualDisk openForWrite(String vmName, String diskId, boolean fullCopy) {
                if (store.get(vmName).state() == AzureVmState.Running) {
                    throw ProblemException.conflict("AzureVmRunning", "virtual machine '" + vmName
                            + "' is running; shut it down before writing into its disks");
                }
                VirtualDisk disk = store.disk(vmName, diskId);
                if (fullCopy) {
                    disk.zeroAll();
                }
                return disk;
            }
        });
    }
}
