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
    private final List<ConsumerRecord<String, String>> received = new CopyOnWriteArrayList<>();
    private final Thread reader;

    KafkaAutomation(String bootstrapServers) {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "automation-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
        consumer.subscribe(List.of("asr.operation-results", "asr.state-changes"));
        reader = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                }
            } catch (WakeupException closing) {
                // close() woke the poll
            } finally {
                consumer.close();
            }
        }, "kafka-automation");
        reader.start();
    }

    /** Sends one operation and answers the job it started, failing with the problem if it was refused. */
    String request(String operation, String target, String propertiesJson) throws Exception {
        String requestId = UUID.randomUUID().toString();
        String request = """
                {"schemaVersion": 1, "requestId": "%s", "operation": "%s", "target": "%s", "properties": %s}"""
                .formatted(requestId, operation, target, propertiesJson == null ? "null" : propertiesJson);
        producer.send(new ProducerRecord<>("asr.operations", target, request)).get();
        JsonNode result = await("asr.operation-results", r -> requestId.equals(r.key()), Duration.ofSeconds(60));
        if (!result.path("accepted").asBoolean()) {
            throw new AssertionError(operation + " on " + target + " was refused: " + result.path("problem"));
        }
        return result.path("jobName").asText();
    }

    /** The job's state as published once it reached one of {@code states}. */
    JsonNode awaitJob(String jobName, Duration timeout, String... states) throws Exception {
        List<String> wanted = List.of(states);
        return await("asr.state-changes", r -> jobName.equals(r.key()) && wanted.contains(stateOf(r)), timeout)
                .path("resource").path("properties");
    }

    /** The item's state as published once it reached {@code protectionState}. */
    JsonNode awaitItem(String itemName, String protectionState, Duration timeout) throws Exception {
        return await("asr.state-changes", r -> itemName.equals(r.key()) && r.value().contains("\"protectionState\":\"" + protectionState + "\""),
                timeout).path("resource").path("properties");
    }

    private static String stateOf(ConsumerRecord<String, String> record) {
        try {
            return JSON.readTree(record.value()).path("resource").path("properties").path("state").asText();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private JsonNode await(String topic, Predicate<ConsumerRecord<String, String>> matches, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : received) {
                if (record.topic().equals(topic) && matches.test(record)) {
                    return JSON.readTree(record.value());
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
        reader.interrupt();
        reader.join(5000);
    }
}
