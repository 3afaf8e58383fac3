package io.failback.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaTestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** job-service's side of the topics, through the test Kafka client: commands out, events in. */
final class SyncTopics {
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private SyncTopics() {
    }

    static void send(SyncCommand command) {
        try {
            KafkaTestClient.send(Topics.SYNC_COMMANDS, command.itemName(), JSON.writeValueAsString(command));
        } catch (JsonProcessingException e) {
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
        return eventsOfCommands(java.util.Set.of(commandId), timeout);
    }

    /** As {@link #eventsOfRun}, for the run that answers one of {@code commandIds} (a run adopts a re-issued command's id). */
    static List<SyncEvent> eventsOfCommands(java.util.Set<String> commandIds, Duration timeout) {
        return eventsOf(event -> commandIds.contains(event.commandId()), "commands " + commandIds, timeout);
    }

    private static List<SyncEvent> eventsOf(Predicate<SyncEvent> ofRun, String run, Duration timeout) {
        List<SyncEvent> events = new ArrayList<>();
        boolean ended = KafkaTestClient.readUntil(Topics.SYNC_EVENTS, timeout, record -> {
            SyncEvent event = read(record.value());
            if (!ofRun.test(event)) {
                return false;
            }
            events.add(event);
            return event.task() == null;
        }) != null;
        if (!ended) {
            throw new AssertionError(run + " did not end within " + timeout + "; its events so far: " + events);
        }
        return events;
    }

    private static SyncEvent read(String json) {
        try {
            return JSON.readValue(json, SyncEvent.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable sync event", e);
        }
    }
}
