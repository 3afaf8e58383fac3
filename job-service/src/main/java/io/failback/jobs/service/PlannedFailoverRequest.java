package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * The body of {@code POST .../replicationProtectedItems/{name}/plannedFailover}, shaped as Azure Site Recovery's
 * (api-version 2023-06-01) so that existing automation can send what it already sends.
 */
public record PlannedFailoverRequest(@NotNull @Valid Properties properties) {

    public record Properties(@NotNull FailoverDirection failoverDirection, @Valid ProviderSpecificDetails providerSpecificDetails) {
    }

    /**
     * @param instanceType {@code HyperVReplicaAzureFailback} for failback
     * @param providerIdForAlternateRecovery fail back to this host instead of the original one
     * @param encryptionKeyId when the cloud encrypts data: the certificate issued with its key ("Encryption Key")
     */
    public record ProviderSpecificDetails(
            @Pattern(regexp = "HyperVReplicaAzureFailback|HyperVReplicaAzure", message = "must be HyperVReplicaAzureFailback or HyperVReplicaAzure") String instanceType,
            DataSyncOption dataSyncOption,
            RecoveryVmCreationOption recoveryVmCreationOption,
            String providerIdForAlternateRecovery,
            String encryptionKeyId) {
    }
}
