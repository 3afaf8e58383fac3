package io.failback.sync;

import io.failback.contracts.messaging.SyncCommand;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Runs accepted commands in the background, one run per job: a command delivered again while its job runs is a
 * duplicate and is dropped.
 */
@ApplicationScoped
public class FailbackRunner {
    private static final Logger LOG = Logger.getLogger(FailbackRunner.class);

    private final Vertx vertx;
    private final SyncConfig config;
    private final SyncEventPublisher publisher;
    private final WebClient web;
    private final HttpClient streams;
    private final Map<String, CommandRun> running = new ConcurrentHashMap<>();

    public FailbackRunner(Vertx vertx, io.vertx.mutiny.core.Vertx mutinyVertx, SyncConfig config, SyncEventPublisher publisher) {
        this.vertx = vertx;
        this.config = config;
        this.publisher = publisher;
        this.web = WebClient.create(mutinyVertx);
        // Block streams are long-lived: no request timeout, but a stalled connection is dropped after a minute.
        this.streams = vertx.createHttpClient(new HttpClientOptions().setIdleTimeout(60).setMaxPoolSize(16));
    }

    /** @return false when the job already runs here (a duplicate delivery) */
    public boolean start(SyncCommand command) {
        CommandRun run = runFor(command);
        CommandRun already = running.putIfAbsent(command.jobName(), run);
        if (already != null) {
            LOG.infof("job %s is already running here; it answers to command %s from now on", command.jobName(), command.commandId());
            already.adopt(command.commandId());
            return false;
        }
        LOG.infof("job %s on %s started (command %s)", command.jobName(), command.itemName(), command.commandId());
        run.run().subscribe().with(done -> running.remove(command.jobName()), e -> running.remove(command.jobName()));
        return true;
    }

    private CommandRun runFor(SyncCommand command) {
        SiteClient azure = new SiteClient(web, config.azureUrl(), "azure-sim");
        if (command.failoverCommit() != null) {
            return new FailoverCommitRun(command, azure, publisher);
        }
        SyncCommand.OnPremisesVm target = command.plannedFailover().target();
        SiteClient host = new SiteClient(web, target.hostUrl(), "host '" + target.providerId() + "'");
        return new PlannedFailbackRun(command, azure, host, new BlockRelay(streams), new HashComparer(web), publisher, vertx,
                config.progressInterval());
    }

    @PreDestroy
    void close() {
        web.close();
        streams.close();
    }
}
