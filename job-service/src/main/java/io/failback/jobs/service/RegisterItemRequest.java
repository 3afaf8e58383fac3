package io.failback.jobs.service;

import io.failback.jobs.domain.ActiveLocation;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

/**
 * {@code PUT /api/replicationProtectedItems/{name}}. With {@code activeLocation: Primary} it enables protection of
 * the on-premises VM: an EnableProtection job replicates its disks to Azure (initial replication), then ongoing
 * replication keeps the replica current. With {@code Recovery} it records a VM that a committed failover left
 * running in Azure, ready to fail back.
 *
 * @param recoveryAzureVmName the VM in Azure: the one running there (Recovery), or the one a failover to Azure will
 *            create (Primary; the item's name when omitted)
 */
public record RegisterItemRequest(@NotNull @Valid Properties properties) {

    public record Properties(
            String friendlyName,
            @NotNull ActiveLocation activeLocation,
            @NotBlank String primaryProviderId,
            String primaryVmName,
            @NotBlank String primaryVirtualSwitchName,
            String recoveryAzureVmName) {
    }
}
