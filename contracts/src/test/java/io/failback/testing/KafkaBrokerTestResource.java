package io.failback.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node KRaft Kafka broker inside the test JVM, started once per JVM however many Quarkus test
 * applications use it, and stopped when the JVM exits. No Docker needed.
 */
public class KafkaBrokerTestResource implements QuarkusTestResourceLifecycleManager {
    private static KafkaClusterTestKit cluster;

    public static synchronized String bootstrapServers() {
        if (cluster == null) {
            try {
                KafkaClusterTestKit started = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
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
                Runtime.getRuntime().addShutdownHook(new Thread(KafkaBrokerTestResource::shutdown, "kafka-test-broker-stop"));
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test Kafka broker", e);
            }
        }
        return cluster.bootstrapServers();
    }

    private static synchronized void shutdown() {
        try {
            cluster.close();
        } catch (Exception e) {
            // The JVM is exiting; the broker's files are in a temporary folder.
        }
    }

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", bootstrapServers());
    }

    @Override
    public void stop() {
        // Shared by every test application in this JVM: stopped by the shutdown hook.
    }
}
