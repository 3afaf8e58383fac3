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
 * A real single-node KRaft Kafka broker inside the test JVM, started once per JVM however many Quarkus test
 * applications use it. No Docker needed.
 * <p>
 * It is not closed from a shutdown hook: closing the broker while the JVM exits makes the surefire fork fail after the
 * tests passed. It dies with the JVM; its files stay under {@code target/} and the next run removes them.
 */
public class KafkaBrokerTestResource implements QuarkusTestResourceLifecycleManager {
    private static KafkaClusterTestKit cluster;

    public static synchronized String bootstrapServers() {
        if (cluster == null) {
            try {
                Path parent = Path.of("target", "kafka-test-brokers");
                deleteRecursively(parent);
                KafkaClusterTestKit started = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                        .setBaseDirectory(Files.createDirectories(parent).resolve("broker-" + ProcessHandle.current().pid()))
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

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
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
