package io.failback.jobs.service;

import io.failback.contracts.messaging.FailoverDirection;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/**
 * Bodies of the protected-item operations other than planned failover, shaped as Azure Site Recovery's (api-version
 * 2023-06-01) so that existing automation can send what it already sends.
 */
public final class ItemOperationRequests {
    private ItemOperationRequests() {
    }

    /** Whether an unplanned failover shuts the on-premises VM down first (when its site still answers). */
    public enum SourceSiteOperations {
        Required,
        NotRequired
    }

    /**
     * {@code POST .../unplannedFailover}. Only {@code PrimaryToRecovery}: the failback direction must lose no data.
     *
     * @param sourceSiteOperations {@code Required}: shut the on-premises VM down first (its host must be connected);
     *            {@code NotRequired} (the default): leave the on-premises site alone, it may be gone
     */
    public record UnplannedFailover(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, SourceSiteOperations sourceSiteOperations,
                @Valid PlannedFailoverRequest.ProviderSpecificDetails providerSpecificDetails) {
        }
    }

    /**
     * {@code POST .../testFailover}: a test VM in Azure from the latest recovery point, while protection goes on.
     *
     * @param networkType {@code VmNetworkAsInput} or {@code NoNetwork}; recorded, the simulated Azure has no networks
     */
    public record TestFailover(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, @Size(max = 64) String networkType,
                @Size(max = 1024) String networkId) {
        }
    }

    /** {@code POST .../testFailoverCleanup}: what the test showed, kept on the item. */
    public record TestFailoverCleanup(@NotNull @Valid Properties properties) {
        public record Properties(@Size(max = 1024) String comments) {
        }
    }

    /** {@code POST .../remove} (disable protection). */
    public record DisableProtection(@NotNull @Valid Properties properties) {
        public enum Reason {
            NotSpecified,
            MigrationComplete
        }

        public record Properties(Reason disableProtectionReason) {
        }
    }
}
