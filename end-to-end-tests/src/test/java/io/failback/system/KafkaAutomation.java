package io.failback.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What an automation client of the Kafka command API does, with plain JSON and the plain Kafka client (no Failback
 * classes): send operation requests to {@code asr.operations}, read their results on {@code asr.operation-results},
 * and follow jobs on {@code asr.state-changes}.
 */
final class KafkaAutomation implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    /** Every record read so far, in the order read, with its value parsed. */
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Thread reader;

    KafkaAutomation(String bootstrapServers) {
        this(bootstrapServers, Map.of());
    }

    /**
     * @param security what a secured broker needs to let this client in (SASL_SSL as the automation principal, from
     *                 {@link LocalSystem#kafkaClientProperties}); empty for a PLAINTEXT broker
     */
    KafkaAutomation(String bootstrapServers, Map<String, Object> security) {
        Map<String, Object> producerConfig = new java.util.HashMap<>(security);
        producerConfig.putAll(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
        producer = new KafkaProducer<>(producerConfig);
        Map<String, Object> consumerConfig = new java.util.HashMap<>(security);
        // Automation's consumer groups start with "automation": the ACLs of a secured broker allow it only those.
        consumerConfig.putAll(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "automation-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
        consumer = new KafkaConsumer<>(consumerConfig);
        consumer.subscribe(List.of("asr.operation-results", "asr.state-changes"));
        reader = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    consumer.poll(Duration.ofMillis(200)).forEach(record -> received.add(Received.of(record)));
                }
            } catch (WakeupException closing) {
                // close() woke the poll
            } finally {
                consumer.close();
            }
        }, "kafka-automation");
        reader.start();
    }

    private record Received(String topic, String key, JsonNode value) {
        static Received of(ConsumerRecord<String, String> record) {
            try {
                return new Received(record.topic(), record.key(), JSON.readTree(record.value()));
            } catch (java.io.IOException e) {
                return new Received(record.topic(), record.key(), JSON.nullNode());
            }
        }

        JsonNode properties() {
            return value.path("resource").path("properties");
        }
    }

    /** Sends one operation and answers the job it started, failing with the problem if it was refused. */
    String request(String operation, String target, String propertiesJson) throws Exception {
        String requestId = UUID.randomUUID().toString();
        String request = """
                {"schemaVersion": 1, "requestId": "%s", "operation": "%s", "target": "%s", "properties": %s}"""
                .formatted(requestId, operation, target, propertiesJson == null ? "null" : propertiesJson);
        producer.send(new ProducerRecord<>("asr.operations", target, request)).get();
        JsonNode result = await("asr.operation-results", r -> requestId.equals(r.key()), Duration.ofSeconds(60)).value();
        if (!result.path("accepted").asBoolean()) {
            throw new AssertionError(operation + " on " + target + " was refused: " + result.path("problem"));
        }
        return result.path("jobName").asText();
    }

    /** The job's state as published once it reached one of {@code states}. */
    JsonNode awaitJob(String jobName, Duration timeout, String... states) throws Exception {
        List<String> wanted = List.of(states);
        return await("asr.state-changes", r -> jobName.equals(r.key()) && wanted.contains(r.properties().path("state").asText()), timeout)
                .properties();
    }

    /** The job as published once it ended, asserting that it succeeded. */
    JsonNode awaitSucceeded(String jobName, Duration timeout) throws Exception {
        JsonNode job = awaitJob(jobName, timeout, "Succeeded", "Failed", "Cancelled");
        if (!"Succeeded".equals(job.path("state").asText())) {
            throw new AssertionError("job " + jobName + " did not succeed: " + job.toPrettyString());
        }
        return job;
    }

    /** The item as last published (its highest version seen) once that is in {@code protectionState}. */
    JsonNode awaitItem(String itemName, String protectionState, Duration timeout) throws Exception {
        return awaitItem(itemName, item -> protectionState.equals(item.path("protectionState").asText()), timeout);
    }

    /**
     * The item as last published once that satisfies {@code condition}: the record with the highest {@code version}
     * read for it, as the contract says to keep (an older state read later does not count).
     */
    JsonNode awaitItem(String itemName, Predicate<JsonNode> condition, Duration timeout) throws Exception {
        return awaitLatest("ProtectedItem", itemName, condition, timeout);
    }

    /** The recovery plan as last published once that satisfies {@code condition}. */
    JsonNode awaitPlan(String planName, Predicate<JsonNode> condition, Duration timeout) throws Exception {
        return awaitLatest("RecoveryPlan", planName, condition, timeout);
    }

    private JsonNode awaitLatest(String kind, String itemName, Predicate<JsonNode> condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Received latest = null;
        while (System.nanoTime() < deadline) {
            latest = null;
            for (Received record : received) {
                if (record.topic().equals("asr.state-changes") && itemName.equals(record.key())
                        && kind.equals(record.value().path("kind").asText())
                        && (latest == null || record.value().path("version").asLong() > latest.value().path("version").asLong())) {
                    latest = record;
                }
            }
            if (latest != null && condition.test(latest.properties())) {
                return latest.properties();
            }
            Thread.sleep(100);
        }
        throw new AssertionError(kind + " " + itemName + " as last published within " + timeout + " is not as expected: "
                + (latest == null ? "nothing published" : latest.properties().toPrettyString()));
    }

    private Received await(String topic, Predicate<Received> matches, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Received record : received) {
                if (record.topic().equals(topic) && matches.test(record)) {
                    return record;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nothing matching on " + topic + " within " + timeout);
    }

    @Override
    public void close() throws InterruptedException {
        producer.close();
        consumer.wakeup();
        reader.join(5000);
    }
}
