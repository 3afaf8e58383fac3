package io.failback.jobs.messaging;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.jobs.service.SyncEventHandler;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/** Advances jobs from sync-service's events; an unreadable event goes to the dead-letter topic with the reason. */
@ApplicationScoped
public class SyncEventConsumer {
    private static final Logger LOG = Logger.getLogger(SyncEventConsumer.class);

    private final SyncEventHandler handler;

    public SyncEventConsumer(SyncEventHandler handler) {
        this.handler = handler;
    }

    @Incoming("sync-events")
    public Uni<Void> consume(SyncEvent event) {
        if (event == null || event.eventId() == null || event.itemName() == null || event.commandId() == null || event.type() == null) {
            return Uni.createFrom().failure(new IllegalArgumentException("the record is not a readable SyncEvent"));
        }
        if (event.schemaVersion() != ContractVersions.SYNC_EVENT) {
            return Uni.createFrom().failure(new IllegalArgumentException(
                    "SyncEvent schema version " + event.schemaVersion() + " is not supported"));
        }
        // Each record is handled on a Vert.x context of its own: what it logs names its job, item and command.
        if (event.jobName() != null) {
            MDC.put("jobName", event.jobName());
        }
        MDC.put("itemName", event.itemName());
        MDC.put("commandId", event.commandId());
        // Another transaction changed the same job or item first (an operation, a plan step), or the database is away
        // for a moment: apply again on fresh rows rather than dead-letter a good event.
        return TransientFailures.retried(() -> handler.apply(event)
                        .onFailure().invoke(e -> LOG.infof("event %s of job %s (item %s) not applied yet: %s", event.eventId(),
                                event.jobName(), event.itemName(), e.getMessage())))
                .invoke(ended -> {
                    if (ended != null) {
                        LOG.infof("job %s (%s of %s) ended %s", ended.name, ended.scenarioName, ended.targetObjectId, ended.state);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf(e, "event %s of job %s (item %s) not applied", event.eventId(), event.jobName(), event.itemName()))
                .replaceWithVoid();
    }
}
