package io.failback.sitedisk;

import io.failback.contracts.site.WorkloadSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The open disks of a site's VMs and the threads their workloads write from. A site keeps one; closing it stops
 * every workload and saves every disk's tracking state, so a clean restart loses nothing. Blocking.
 */
public final class VmDiskRegistry implements Closeable {
    private final ObjectMapper json;
    private final Map<String, VmDisks> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService workloads = Executors.newScheduledThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "vm-workload");
        thread.setDaemon(true);
        return thread;
    });

    public VmDiskRegistry(ObjectMapper json) {
        this.json = json;
    }

    /**
     * Creates zeroed disks for a new VM. If one cannot be created, the ones created before it are closed and their
     * files deleted, so a failed create leaves no disk behind.
     */
    public VmDisks create(String vmName, Path dir, List<DiskSpec> disks) {
        List<VirtualDisk> created = new ArrayList<>();
        try {
            for (DiskSpec disk : disks) {
                created.add(VirtualDisk.create(json, dir, disk.diskId(), disk.sizeBytes(), disk.blockSize()));
            }
        } catch (RuntimeException | Error e) {
            for (VirtualDisk disk : created) {
                disk.close();
                VirtualDisk.deleteFiles(dir, disk.diskId());
            }
            throw e;
        }
        return register(vmName, new VmDisks(vmName, created));
    }

    /** Opens the disks of a VM found on storage at start-up. */
    public VmDisks open(String vmName, Path dir, List<DiskSpec> disks) {
        List<VirtualDisk> opened = new ArrayList<>();
        for (DiskSpec disk : disks) {
            opened.add(VirtualDisk.open(json, dir, disk.diskId(), disk.blockSize()));
        }
        return register(vmName, new VmDisks(vmName, opened));
    }

    public VmDisks get(String vmName) {
        VmDisks disks = open.get(vmName);
        if (disks == null) {
            throw ProblemException.notFound("VmNotFound", "no virtual machine named '" + vmName + "' has disks here");
        }
        return disks;
    }

    /** Closes the VM's disks and deletes their files. */
    public void delete(String vmName, Path dir) {
        VmDisks disks = open.remove(vmName);
        if (disks != null) {
            List<String> ids = disks.disks().stream().map(VirtualDisk::diskId).toList();
            disks.close();
            ids.forEach(id -> VirtualDisk.deleteFiles(dir, id));
        }
    }

    public void startWorkload(String vmName, WorkloadSettings settings) {
        get(vmName).startWorkload(workloads, settings);
    }

    public void stopWorkload(String vmName) {
        get(vmName).stopWorkload();
    }

    private VmDisks register(String vmName, VmDisks disks) {
        VmDisks previous = open.put(vmName, disks);
        if (previous != null) {
            previous.close();
        }
        return disks;
    }

    @Override
    public void close() {
        open.values().forEach(VmDisks::stopWorkload);
        open.values().forEach(VmDisks::close);
        open.clear();
        workloads.shutdownNow();
    }
}
