package io.failback.contracts.site;

import java.util.List;

/**
 * {@code PUT /api/vms/{name}} on a host-agent: create the VM with empty disks of these sizes, attached to the
 * virtual switch of this name (the host refuses if it has no such switch).
 *
 * @param workload what the simulated guest writes once the VM runs: a failback that creates the VM passes the Azure
 *            VM's, since the same guest runs on; null for the host's default
 */
public record CreateOnPremisesVm(List<DiskSpec> disks, String virtualSwitchName, WorkloadSettings workload) {
}
