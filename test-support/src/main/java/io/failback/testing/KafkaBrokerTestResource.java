package io.failback.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node KRaft Kafka broker inside the test JVM, started once per class loader that uses it. No Docker
 * needed.
 * <p>
 * A test profile restarts Quarkus in a new class loader, where this class starts afresh and starts a second broker
 * while the first still runs. So each broker has a folder of its own, and only the folders of JVMs that have ended are
 * removed: deleting a running broker's log folder makes Kafka halt the whole JVM (exit code 1), which surefire reports
 * as a crashed fork.
 * <p>
 * It is not closed from a shutdown hook: closing the broker while the JVM exits makes the surefire fork fail after the
 * tests passed. It dies with the JVM; its files stay under {@code target/} and a later run removes them.
 */
public class KafkaBrokerTestResource implements QuarkusTestResourceLifecycleManager {
    private static KafkaClusterTestKit cluster;

    public static synchronized String bootstrapServers() {
        if (cluster == null) {
            try {
                Path parent = Files.createDirectories(Path.of("target", "kafka-test-brokers"));
                deleteFoldersOfEndedJvms(parent);
                KafkaClusterTestKit started = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                        .setBaseDirectory(Files.createTempDirectory(parent, "broker-" + ProcessHandle.current().pid() + "-"))
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .build())
                        .setConfigProp("num.partitions", 4)
                        .setConfigProp("auto.create.topics.enable", true)
                        .setConfigProp("offsets.topic.replication.factor", (short) 1)
                        .setConfigProp("transaction.state.log.replication.factor", (short) 1)
                        .setConfigProp("transaction.state.log.min.isr", 1)
                        .setConfigProp("group.initial.rebalance.delay.ms", 0)
                        .build();
                started.format();
                started.startup();
                started.waitForReadyBrokers();
                cluster = started;
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test Kafka broker", e);
            }
        }
        return cluster.bootstrapServers();
    }

    /** Folders are named {@code broker-<pid>-<suffix>}; one whose process still runs belongs to a live broker. */
    private static void deleteFoldersOfEndedJvms(Path parent) throws IOException {
        try (Stream<Path> folders = Files.list(parent)) {
            for (Path folder : folders.toList()) {
                String[] nameParts = folder.getFileName().toString().split("-");
                boolean running = nameParts.length >= 2 && nameParts[1].matches("\\d{1,18}")
                        && ProcessHandle.of(Long.parseLong(nameParts[1])).map(ProcessHandle::isAlive).orElse(false);
                if (!running) {
                    deleteRecursively(folder);
                }
            }
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", bootstrapServers());
    }

    @Override
    public void stop() {
        // Shared by every test application in this JVM, which it outlives.
    }
}
