package io.failback.contracts.messaging;

/** Whether failback creates the on-premises VM (empty disks, same-named virtual switch) when the host lacks it. */
public enum RecoveryVmCreationOption {
    CreateVmIfNotFound,
    NoAction
}
