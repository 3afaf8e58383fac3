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
}
