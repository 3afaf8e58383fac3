package io.failback.contracts.site;

import java.util.List;

/**
 * {@code PUT /api/vms/{name}} on a host-agent: create the VM with empty disks of these sizes, attached to the
 * virtual switch of this name (the host refuses if it has no such switch).
 */
public record CreateOnPremisesVm(List<DiskSpec> disks, String virtualSwitchName) {
}
