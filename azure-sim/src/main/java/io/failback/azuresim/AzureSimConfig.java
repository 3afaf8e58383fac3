package io.failback.azuresim;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

@ConfigMapping(prefix = "azure-sim")
public interface AzureSimConfig {
    /** Where VM definitions and disk images live; everything survives a restart. */
    @WithDefault(".failback/data/azure")
    Path storageDir();

    /** Block size of disks created here (bytes). */
    @WithDefault("65536")
    int blockSize();

    /**
     * The largest disk (bytes) a VM or a replica may have here. Each disk keeps a few bytes of tracking per block in
     * memory (and more while its digest is computed), so the default, 256 GiB, fits the heap the launcher gives.
     */
    @WithDefault("274877906944")
    long maxDiskSizeBytes();

    /** Refuses a disk larger than {@link #maxDiskSizeBytes()} with a 400 problem, before anything is written. */
    static void requireWithinMaximum(AzureSimConfig config, String diskId, long sizeBytes) {
        if (sizeBytes > config.maxDiskSizeBytes()) {
            throw io.failback.contracts.site.ProblemException.badRequest("InvalidDiskSize", "disk '" + diskId + "' of "
                    + sizeBytes + " bytes is larger than the " + config.maxDiskSizeBytes() + " bytes a disk may have here");
        }
    }
}
