package io.failback.sitedisk;

import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.WorkloadSettings;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The disks of one simulated VM and the workload that writes to them while it runs. Writes hold the VM's read lock;
 * a snapshot holds its write lock while it is taken on every disk, so all disks' snapshots show the same moment.
 */
public final class VmDisks implements Closeable {
    private static final Logger LOG = Logger.getLogger(VmDisks.class);
    private static final long TICK_MILLIS = 20;
    private static final int HOT_SPOT_PERCENT_OF_WRITES = 90;
    private static final int HOT_SPOT_PERCENT_OF_DISK = 5;

    private final String vmName;
    private final Map<String, VirtualDisk> disks;
    private final ReentrantReadWriteLock moment = new ReentrantReadWriteLock();
    private ScheduledFuture<?> workload;
    private Writer writer;
    private volatile long writesDone;

    public VmDisks(String vmName, List<VirtualDisk> disks) {
        this.vmName = vmName;
        this.disks = new LinkedHashMap<>();
        disks.forEach(d -> this.disks.put(d.diskId(), d));
    }

    public VirtualDisk disk(String diskId) {
        VirtualDisk disk = disks.get(diskId);
        if (disk == null) {
            throw ProblemException.notFound("DiskNotFound", "virtual machine '" + vmName + "' has no disk '" + diskId + "'");
        }
        return disk;
    }

    public List<VirtualDisk> disks() {
        return new ArrayList<>(disks.values());
    }

    /** Runs {@code action} while no write is under way on any of the VM's disks: one moment for all of them. */
    public <T> T atOneMoment(Supplier<T> action) {
        moment.writeLock().lock();
        try {
            return action.get();
        } finally {
            moment.writeLock().unlock();
        }
    }

    /** A consistent snapshot of every disk; answers each disk's tracking point at that moment. */
    public Map<String, Long> snapshot(String snapshotId) {
        return atOneMoment(() -> {
            Map<String, Long> points = new LinkedHashMap<>();
            for (VirtualDisk disk : disks.values()) {
                points.put(disk.diskId(), disk.snapshot(snapshotId));
            }
            return points;
        });
    }

    /** Each disk's tracking point, taken while no write is under way. */
    public Map<String, Long> trackingPoints() {
        return atOneMoment(() -> {
            Map<String, Long> points = new LinkedHashMap<>();
            disks.values().forEach(d -> points.put(d.diskId(), d.trackingPoint()));
            return points;
        });
    }

    public void deleteSnapshot(String snapshotId) {
        disks.values().forEach(d -> d.deleteSnapshot(snapshotId));
    }

    /** Starts (or replaces) the workload; it writes until {@link #stopWorkload()}. */
    public synchronized void startWorkload(ScheduledExecutorService scheduler, WorkloadSettings settings) {
        stopWorkload();
        if (settings.writesPerSecond() == 0 || disks.isEmpty()) {
            return;
        }
        writer = new Writer(settings);
        workload = scheduler.scheduleAtFixedRate(writer::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Stops the workload; when this returns no write is under way and none will start. */
    public synchronized void stopWorkload() {
        if (workload != null) {
            writer.cancelled = true;
            workload.cancel(false);
            workload = null;
            writer = null;
        }
        // Writes hold the read lock: taking the write lock waits for the last one.
        moment.writeLock().lock();
        moment.writeLock().unlock();
    }

    public synchronized boolean workloadRunning() {
        return workload != null;
    }

    public long writesDone() {
        return writesDone;
    }

    @Override
    public void close() {
        stopWorkload();
        disks.values().forEach(VirtualDisk::close);
    }

    /** Generates the seeded stream of writes, a tick's worth at a time. */
    private final class Writer {
        private final WorkloadSettings settings;
        private final Random random;
        private final List<VirtualDisk> targets;
        private final byte[] content;
        private double owed;
        private long sequentialOffset;
        /** Set before the stop's lock barrier, read under the read lock: no write starts after a stop. */
        private volatile boolean cancelled;

        Writer(WorkloadSettings settings) {
            this.settings = settings;
            this.random = new Random(settings.seed() ^ vmName.hashCode());
            this.targets = new ArrayList<>(disks.values());
            this.content = new byte[settings.writeSizeBytes()];
        }

        void tick() {
            owed += settings.writesPerSecond() * TICK_MILLIS / 1000.0;
            try {
                while (owed >= 1 && !cancelled) {
                    owed--;
                    VirtualDisk disk = targets.get(random.nextInt(targets.size()));
                    long offset = nextOffset(disk);
                    random.nextBytes(content);
                    moment.readLock().lock();
                    try {
                        if (cancelled) {
                            return; // stopped while this tick ran
                        }
                        disk.write(offset, ByteBuffer.wrap(content));
                        writesDone++;
                    } finally {
                        moment.readLock().unlock();
                    }
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "the workload of %s stopped writing", vmName);
                throw e;
            }
        }

        private long nextOffset(VirtualDisk disk) {
            long slots = disk.sizeBytes() / settings.writeSizeBytes();
            long slot = switch (settings.pattern()) {
                case RandomSmall -> Math.floorMod(random.nextLong(), slots);
                case Sequential -> {
                    long next = sequentialOffset++ % slots;
                    yield next;
                }
                case HotSpot -> {
                    long hot = Math.max(1, slots * HOT_SPOT_PERCENT_OF_DISK / 100);
                    yield random.nextInt(100) < HOT_SPOT_PERCENT_OF_WRITES ? Math.floorMod(random.nextLong(), hot)
                            : Math.floorMod(random.nextLong(), slots);
                }
            };
            return slot * settings.writeSizeBytes();
        }
    }
}
