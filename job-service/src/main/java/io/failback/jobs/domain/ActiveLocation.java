package io.failback.jobs.domain;

/** Where the VM runs: Primary is the on-premises Hyper-V site, Recovery is Azure. */
public enum ActiveLocation {
    Primary,
    Recovery
}
