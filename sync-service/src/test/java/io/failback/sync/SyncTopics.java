package io.failback.sync;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** job-service's side of the topics, with plain Kafka clients on the test broker: commands out, events in. */
final class SyncTopics {
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private SyncTopics() {
    }

    static void send(SyncCommand command) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerTestResource.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
            producer.send(new ProducerRecord<>(Topics.SYNC_COMMANDS, command.itemName(), JSON.writeValueAsString(command))).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot send the command", e);
        }
    }

    /**
     * The events of job {@code jobName} on {@code asr.sync-events}, in the order the topic holds them, up to and
     * including the run's last (SyncSucceeded, SyncSuspended or SyncFailed).
     */
    static List<SyncEvent> eventsOfRun(String jobName, Duration timeout) {
        return eventsOf(event -> jobName.equals(event.jobName()), "job " + jobName, timeout);
    }

    /** As {@link #eventsOfRun}, for the run that answers command {@code commandId}. */
    static List<SyncEvent> eventsOfCommand(String commandId, Duration timeout) {
        return eventsOf(event -> commandId.equals(event.commandId()), "command " + commandId, timeout);
    }

    private static List<SyncEvent> eventsOf(java.util.function.Predicate<SyncEvent> ofRun, String run, Duration timeout) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerTestResource.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
            consumer.subscribe(List.of(Topics.SYNC_EVENTS));
            List<SyncEvent> events = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    SyncEvent event = JSON.readValue(record.value(), SyncEvent.class);
                    if (!ofRun.test(event)) {
                        continue;
                    }
                    events.add(event);
                    if (event.task() == null) {
                        return events;
                    }
                }
            }
            throw new AssertionError(run + " did not end within " + timeout + "; its events so far: " + events);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("unreadable sync event", e);
        }
    }
}
