package io.failback.contracts.messaging;

/** As in Azure Site Recovery: Primary is the on-premises site, Recovery is Azure. Failback is RecoveryToPrimary. */
public enum FailoverDirection {
    PrimaryToRecovery,
    RecoveryToPrimary
}
