package io.failback.azuresim.replica;

import io.failback.testing.ReferenceDigest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.failback.azuresim.AzureSimConfig;
import io.failback.azuresim.CloudEncryption;
import io.failback.azuresim.vm.AzureVm;
import io.failback.azuresim.vm.VmStore;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.WorkloadSettings;
import io.failback.sitedisk.BlockDevice;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Replica storage on real files, built as azure-sim builds it but without Quarkus, so that it can be restarted: a
 * fresh {@link ReplicaStore} (and {@link VmStore}, {@link CloudEncryption}) over the same folder, after a clean stop or
 * after a crash (the first instances are dropped without closing anything).
 */
class ReplicaStoreRestartTest {
    private static final int BLOCK = 64 * 1024;
    private static final int BLOCKS = 64;
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @TempDir
    Path storage;

    private final List<VmStore> vmStores = new ArrayList<>();

    private final AzureSimConfig config = new AzureSimConfig() {
        @Override
        public Path storageDir() {
            return storage;
        }

        @Override
        public int blockSize() {
            return BLOCK;
        }

        @Override
        public long maxDiskSizeBytes() {
            return 1L << 30;
        }
    };

    /** What azure-sim builds at start. */
    private record Site(CloudEncryption encryption, VmStore vms, ReplicaStore replicas) {
    }

    private Site start() {
        CloudEncryption encryption = new CloudEncryption(config, JSON);
        encryption.load();
        VmStore vms = new VmStore(config, JSON);
        vms.load();
        vmStores.add(vms);
        ReplicaStore replicas = new ReplicaStore(config, JSON, encryption, vms);
        replicas.load();
        return new Site(encryption, vms, replicas);
    }

    @AfterEach
    void stopWorkloads() {
        vmStores.forEach(VmStore::close);
    }

    /** Random content into {@code blocks} of the model and, in one call as a stream's batch arrives, the replica. */
    private static void write(BlockDevice device, byte[] model, Random random, int... blocks) {
        List<BlockDevice.Run> runs = new ArrayList<>();
        for (int block : blocks) {
            byte[] bytes = new byte[BLOCK];
            random.nextBytes(bytes);
            System.arraycopy(bytes, 0, model, block * BLOCK, BLOCK);
            runs.add(new BlockDevice.Run(block, ByteBuffer.wrap(bytes)));
        }
        device.writeRuns(runs);
    }

    /** The sites' digest of a disk holding {@code content}, computed by the contract. */
    static String digestOf(byte[] content) {
        return io.failback.testing.ReferenceDigest.of(content, BLOCK);
    }

    @ParameterizedTest(name = "sealed={0}, crash={1}")
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    void aFailoverAfterARestartStartsFromTheRecoveryPointNotFromTheCutOffCycle(boolean sealed, boolean crash) throws Exception {
        Site before = start();
        if (sealed) {
            before.encryption().enable();
        }
        Replica replica = before.replicas().create("vm-01", List.of(new DiskSpec("disk-0", (long) BLOCKS * BLOCK, BLOCK)));
        assertEquals(sealed, replica.encryptionCertificateId() != null);
        byte[] content = new byte[BLOCKS * BLOCK];
        Random random = new Random(sealed ? 1 : 2);
        BlockDevice device = before.replicas().device("vm-01", "disk-0");
        write(device, content, random, 0, 1, 2, 3, 4, 5, 6, 7, 40, 41);
        device.force();
        before.replicas().recordRecoveryPoint("vm-01", new Replica.RecoveryPoint(Instant.parse("2026-11-26T10:00:00Z"), Map.of("disk-0", 17L)));
        String atPoint = digestOf(content);

        // The next cycle is cut off after two of its batches.
        write(device, content, random, 2, 3, 9, 10);
        write(device, content, random, 41, 50, 63);
        String mixed = digestOf(content);
        assertNotEquals(atPoint, mixed);
        assertEquals(mixed, device.digest());
        if (!crash) {
            before.replicas().close();
            before.vms().close();
        }

        Site after = start();
        assertEquals(atPoint, after.replicas().journaled("vm-01", "disk-0").atRecoveryPoint().digest());
        AzureVm vm = after.replicas().failover("vm-01", "vm-01", WorkloadSettings.IDLE, false);

        assertEquals(atPoint, after.vms().disk(vm.name(), "disk-0").digest(), "the VM starts from the recovery point");
        assertEquals(atPoint, after.replicas().device("vm-01", "disk-0").digest(), "the replica was rolled back to it");
        assertEquals("vm-01", after.replicas().get("vm-01").failedOverTo());
        assertEquals(0, after.replicas().journaled("vm-01", "disk-0").journaledBlocks());
    }

    @ParameterizedTest(name = "sealed={0}")
    @CsvSource({"false", "true"})
    void aTestFailoverCopiesTheRecoveryPointAndLeavesTheReplicaAsReplicationLeftIt(boolean sealed) throws Exception {
        Site site = start();
        if (sealed) {
            site.encryption().enable();
        }
        site.replicas().create("vm-02", List.of(new DiskSpec("disk-0", (long) BLOCKS * BLOCK, BLOCK)));
        byte[] content = new byte[BLOCKS * BLOCK];
        Random random = new Random(3);
        BlockDevice device = site.replicas().device("vm-02", "disk-0");
        write(device, content, random, 0, 1, 2, 3);
        site.replicas().recordRecoveryPoint("vm-02", new Replica.RecoveryPoint(Instant.parse("2026-11-26T10:00:00Z"), Map.of("disk-0", 5L)));
        String atPoint = digestOf(content);
        write(device, content, random, 1, 2, 30);
        String cycleSoFar = digestOf(content);

        AzureVm test = site.replicas().failover("vm-02", "vm-02-test", WorkloadSettings.IDLE, true);

        assertEquals(atPoint, site.vms().disk(test.name(), "disk-0").digest());
        assertNotNull(test.replicaOrigin());
        assertNull(site.replicas().get("vm-02").failedOverTo(), "a test failover is no failover");
        assertEquals(cycleSoFar, device.digest(), "the cycle under way keeps what it wrote");
        assertEquals(3, site.replicas().journaled("vm-02", "disk-0").journaledBlocks());
    }

    @org.junit.jupiter.api.Test
    void committingATestVmRebuildsTheReplicaFromItForTheReplicaWentOnAfterIt() throws Exception {
        Site site = start();
        site.replicas().create("vm-03", List.of(new DiskSpec("disk-0", (long) BLOCKS * BLOCK, BLOCK)));
        byte[] content = new byte[BLOCKS * BLOCK];
        Random random = new Random(4);
        BlockDevice device = site.replicas().device("vm-03", "disk-0");
        write(device, content, random, 0, 1, 2, 3);
        site.replicas().recordRecoveryPoint("vm-03", new Replica.RecoveryPoint(Instant.parse("2026-11-26T10:00:00Z"), Map.of("disk-0", 5L)));
        AzureVm test = site.replicas().failover("vm-03", "vm-03-test", WorkloadSettings.IDLE, true);
        write(device, content, random, 2, 3, 4);
        site.replicas().recordRecoveryPoint("vm-03", new Replica.RecoveryPoint(Instant.parse("2026-11-26T10:05:00Z"), Map.of("disk-0", 9L)));
        site.vms().disk(test.name(), "disk-0").write(10L * BLOCK, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        AzureVm stopped = site.vms().shutdown(test.name());

        site.replicas().retain("vm-03", stopped, Map.of("disk-0", site.vms().disk(test.name(), "disk-0")), Map.of("disk-0", 12L));

        assertEquals(site.vms().disk(test.name(), "disk-0").digest(), site.replicas().device("vm-03", "disk-0").digest());
    }
}
