package io.failback.contracts.site;

import java.util.List;

/**
 * The part of a VM that sync-service reads from either site ({@code GET /api/vms/{name}}). Sites return more fields;
 * readers ignore what they do not know.
 *
 * @param state azure-sim: Running | Stopping | Stopped | Deleted; host-agent: Off | Running
 * @param virtualSwitchName on-premises only: the Hyper-V switch the VM's network adapter is connected to
 * @param workload what the simulated guest writes while the VM runs; null from a site that does not say
 */
public record SiteVm(String name, String state, List<DiskSpec> disks, String virtualSwitchName, WorkloadSettings workload) {
}
