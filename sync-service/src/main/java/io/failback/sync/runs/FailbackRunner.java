package io.failback.sync.runs;

import io.failback.sync.metrics.SyncMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.BaggageBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Context;
import org.jboss.logging.MDC;
import io.failback.sync.SyncConfig;
import io.failback.sync.blocks.BlockRelay;
import io.failback.sync.blocks.SiteStreams;
import io.failback.sync.blocks.HashComparer;
import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteClient;
import io.failback.sync.sites.SiteConnections;

import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.site.RunBaggage;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import org.jboss.logging.Logger;

/**
 * Runs accepted commands in the background. A command delivered again while its run is queued or running is a
 * duplicate and is dropped (the run answers to the newer command id from then on). A command of the same job with
 * other work is the job's later step: Kafka keeps one item's commands in order, so the older run is stale (after a
 * crash, the commands consumed since the last committed offset come again, ForDownTime's phase 1 before its phase 2)
 * and is dropped if queued or cancelled if running; its events answer a command job-service no longer waits on. Runs
 * on the same protected item
 * go one after the other, in the order their commands arrived (Kafka keeps one item's commands in order): a
 * replication cycle and a failover never write the same disks at once.
 */
@ApplicationScoped
public class FailbackRunner {
    private static final Logger LOG = Logger.getLogger(FailbackRunner.class);

    private final Vertx vertx;
    private final Tracer tracer;
    private final SyncConfig config;
    private final SyncEventPublisher publisher;
    private final SiteConnections sites;
    private final SiteStreams streams;
    private final Patience patience;
    /** How many copies this instance runs at once (failback.max-concurrent-copies). */
    private final CopySlots copySlots;
    /** Relays every run's block streams: it keeps nothing of a run's. */
    private final BlockRelay relay;
    private final SyncMetrics metrics;
    /** Accepted runs by their key; guarded by {@code this}. */
    private final Map<String, CommandRun> accepted = new HashMap<>();
    /** Per item, the runs waiting behind the one that runs; guarded by {@code this}. */
    private final Map<String, Queue<CommandRun>> lanes = new HashMap<>();

    public FailbackRunner(Vertx vertx, io.vertx.mutiny.core.Vertx mutinyVertx, SyncConfig config, SyncEventPublisher publisher,
            MeterRegistry registry, Tracer tracer) {
        this.vertx = vertx;
        this.tracer = tracer;
        this.config = config;
        this.publisher = publisher;
        this.sites = new SiteConnections(mutinyVertx, config.internalTls());
        this.streams = new SiteStreams(vertx, sites.internalTls() ? sites : null);
        this.patience = new Patience(vertx, sites.probe(), config.patience());
        this.copySlots = new CopySlots(config.maxConcurrentCopies());
        // The codec relays ask sources to compress block streams with (failback.compression); null: none.
        this.metrics = new SyncMetrics(registry, copySlots);
        this.relay = new BlockRelay(streams, BlockRelay.compressionSetting(config.compression()), metrics);
    }

    /** @return false when the command's run is already here (a duplicate delivery), or the command was a cancel */
    public boolean start(SyncCommand command) {
        if (command.cancel() != null) {
            cancel(command);
            return false;
        }
        CommandRun run;
        synchronized (this) {
            CommandRun already = accepted.get(runKey(command));
            if (already != null && already.command.sameWorkAs(command)) {
                LOG.infof("%s is already here; it answers to command %s from now on", runKey(command), command.commandId());
                already.adopt(command.commandId());
                return false;
            }
            Queue<CommandRun> lane = lanes.computeIfAbsent(command.itemName(), item -> new ArrayDeque<>());
            if (already != null) {
                LOG.infof("%s: command %s supersedes the run of command %s, which is stale", runKey(command), command.commandId(),
                        already.command.commandId());
                if (lane.peek() == already) {
                    already.cancel();
                } else {
                    lane.remove(already);
                }
            }
            run = runFor(command);
            run.commandTrace = io.opentelemetry.context.Context.current();
            accepted.put(runKey(command), run);
            lane.add(run);
            if (lane.size() > 1) {
                LOG.infof("%s waits for the run before it on %s", runKey(command), command.itemName());
                return true;
            }
        }
        launch(run);
        return true;
    }

    /** Stops the job's run, running or queued; a cancel for a run that is not here (it ended) changes nothing. */
    private void cancel(SyncCommand command) {
        CommandRun run;
        synchronized (this) {
            run = accepted.get(runKey(command));
        }
        if (run == null) {
            LOG.infof("cancel of job %s: it does not run here", command.jobName());
            return;
        }
        LOG.infof("job %s cancelled: %s", command.jobName(), command.cancel().reason());
        run.cancel();
    }

    /**
     * Starts the run on a Vert.x context of its own, whose MDC names its job, item and command: every line the run logs,
     * on whichever callback, carries them (as fields of the JSON lines with FAILBACK_LOG_JSON). A run started when the
     * one before it on the item ends would otherwise inherit that one's context, and its ids.
     * <p>
     * The run's span, a child of its command's record, is made current on that context with the run's ids as baggage,
     * and stays so for the run's life (its scope is never closed: the context is the run's alone and ends with it).
     * Every callback of the run therefore logs its trace id, and the site calls, block streams and events it sends
     * carry its trace and ids onwards.
     */
    private void launch(CommandRun run) {
        SyncCommand command = run.command;
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        context.runOnContext(v -> {
            Span span = tracer.spanBuilder("run " + run.getClass().getSimpleName())
                    .setParent(run.commandTrace)
                    .setAttribute("failback.item.name", command.itemName())
                    .setAttribute("failback.command.id", command.commandId())
                    .startSpan();
            if (command.jobName() != null) {
                span.setAttribute("failback.job.name", command.jobName());
            }
            Map<String, String> ids = runIds(command);
            BaggageBuilder idsForTheSites = Baggage.fromContext(run.commandTrace).toBuilder();
            ids.forEach((key, value) -> idsForTheSites.put(RunBaggage.ENTRY_BY_MDC_KEY.get(key), value));
            run.commandTrace.with(span).with(idsForTheSites.build()).makeCurrent();
            ids.forEach(MDC::put);
            LOG.infof("%s on %s started (command %s)", runKey(command), command.itemName(), command.commandId());
            run.run().onTermination().invoke(() -> {
                span.end();
                finished(run);
            }).subscribe().with(done -> { }, e -> { });
        });
    }

    /** The run's job, item and command by their MDC keys; a replication cycle names no job. */
    private static Map<String, String> runIds(SyncCommand command) {
        Map<String, String> ids = new HashMap<>(4);
        if (command.jobName() != null) {
            ids.put("jobName", command.jobName());
        }
        ids.put("itemName", command.itemName());
        ids.put("commandId", command.commandId());
        return ids;
    }

    private void finished(CommandRun run) {
        CommandRun next;
        synchronized (this) {
            // A superseded run is no longer the one accepted under its key.
            accepted.remove(runKey(run.command), run);
            Queue<CommandRun> lane = lanes.get(run.command.itemName());
            lane.remove(run);
            next = lane.peek();
            if (next == null) {
                lanes.remove(run.command.itemName());
            }
        }
        if (next != null) {
            launch(next);
        }
    }

    /** A job's run, or an item's replication cycle (which is no job). */
    private static String runKey(SyncCommand command) {
        return command.jobName() != null ? "job " + command.jobName() : "replication cycle of " + command.itemName();
    }

    private CommandRun runFor(SyncCommand command) {
        SiteClient azure = sites.azure(config.azureUrl());
        if (command.failoverCommit() != null) {
            SyncCommand.OnPremisesVm target = command.failoverCommit().target();
            return new FailoverCommitRun(command, azure, hostClient(target), publisher, patience);
        }
        if (command.failoverCancel() != null) {
            return new FailoverCancelRun(command, azure, hostClient(command.failoverCancel().onPremisesVm()), publisher, patience);
        }
        if (command.replicate() != null) {
            return new ReplicationRun(command, command.replicate().source(), azure, hostClient(command.replicate().source()),
                    relay, new HashComparer(), publisher, patience, config.progressInterval(), copySlots, metrics);
        }
        if (command.unplannedFailover() != null) {
            SyncCommand.OnPremisesVm shutDown = command.unplannedFailover().shutDownOnPremisesVm();
            return new RecoveryInAzureRun(command, azure, shutDown == null ? null : hostClient(shutDown), publisher, patience);
        }
        if (command.testFailover() != null || command.testFailoverCleanup() != null || command.disableProtection() != null) {
            return new RecoveryInAzureRun(command, azure, null, publisher, patience);
        }
        if (command.catchUp() != null) {
            return new CatchUpRun(command, azure, hostClient(command.catchUp().onPremisesVm()), relay, publisher, patience,
                    config.progressInterval(), copySlots, metrics);
        }
        if (command.plannedFailover().failoverDirection() == FailoverDirection.PrimaryToRecovery) {
            SyncCommand.OnPremisesVm source = command.plannedFailover().onPremisesVm();
            return new ReplicationRun(command, source, azure, hostClient(source), relay, new HashComparer(),
                    publisher, patience, config.progressInterval(), copySlots, metrics);
        }
        SyncCommand.OnPremisesVm target = command.plannedFailover().onPremisesVm();
        return new PlannedFailbackRun(command, azure, hostClient(target), relay, new HashComparer(), publisher,
                patience, config.progressInterval(), copySlots, metrics);
    }

    private SiteClient hostClient(SyncCommand.OnPremisesVm vm) {
        return sites.host(vm.providerId(), vm.hostUrl());
    }

    @PreDestroy
    void close() {
        sites.close();
        streams.close();
    }
}
