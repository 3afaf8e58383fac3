package io.failback.jobs.service;

import io.failback.jobs.domain.ActiveLocation;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

/**
 * {@code PUT /api/replicationProtectedItems/{name}}: records a VM that a failover to Azure has left running and
 * committed in Azure, ready to fail back. (Enabling protection of an on-premises VM comes with the replication data
 * plane.)
 */
public record RegisterItemRequest(@NotNull @Valid Properties properties) {

    public record Properties(
            String friendlyName,
            @NotNull ActiveLocation activeLocation,
            @NotBlank String primaryProviderId,
            String primaryVmName,
            @NotBlank String primaryVirtualSwitchName,
            @NotBlank String recoveryAzureVmName) {
    }
}
