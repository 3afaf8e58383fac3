package io.failback.jobs.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;

/** A VM under Site Recovery's care: where it runs, what state its protection is in, and which job owns it now. */
@Entity
@Table(name = "replication_protected_item")
public class ReplicationProtectedItem extends PanacheEntityBase {
    @Id
    public String name;
    public String friendlyName;
    @Enumerated(EnumType.STRING)
    public ProtectionState protectionState;
    public String protectionStateDescription;
    @Enumerated(EnumType.STRING)
    public ActiveLocation activeLocation;
    /** The on-premises Hyper-V host (provider id) the VM belongs to; an alternate-location failback changes it. */
    public String primaryProviderId;
    /** The on-premises VM's name on that host. */
    public String primaryVmName;
    /** The Hyper-V virtual switch the VM is attached to on-premises; failback creates VMs on a switch of this name. */
    public String primaryVirtualSwitchName;
    public String recoveryAzureVmName;
    public String currentScenarioName;
    public String currentScenarioJobName;
    public Instant currentScenarioStartTime;
    public String replicationHealth;
    public String lastErrorMessage;
    /**
     * While the item's job waits for a part that is away: {@code <code>: <message>} naming it (e.g. {@code SiteUnreachable:
     * ...}, {@code SyncServiceSilent: ...}). Shown as a health error, and the replication health shown is at least Warning;
     * the job going on or ending clears it.
     */
    @Column(length = WAITING_ON_LENGTH)
    public String waitingOn;
    public static final int WAITING_ON_LENGTH = 1000;
    public Instant lastSuccessfulFailoverTime;
    /** The moment the replica in Azure last became consistent at (its latest recovery point); RPO counts from it. */
    public Instant lastReplicatedTime;
    /** The VM a test failover started in Azure, until test failover cleanup deletes it. */
    public String testFailoverVmName;
    /** What the user wrote about the test when cleaning it up; the last test's. */
    public String testFailoverComments;
    /** The replication cycle of ongoing protection now under way, if any (it is no job). */
    public String replicationCycleCommandId;
    public Instant replicationCycleIssuedAt;
    @Version
    public long version;
    /** The highest {@link #version} published to the state-change topic; null before the first. */
    public Long publishedVersion;

    public void beginScenario(String scenarioName, String jobName, Instant at) {
        currentScenarioName = scenarioName;
        currentScenarioJobName = jobName;
        currentScenarioStartTime = at;
    }

    /** The VM a test failover of this item creates in Azure, beside the name a real failover would use. */
    public String testVmName() {
        return recoveryAzureVmName + "-test";
    }

    public void endScenario() {
        currentScenarioName = null;
        currentScenarioJobName = null;
        currentScenarioStartTime = null;
        waitingOn = null;
    }
}
