package io.failback.jobs.service;

import io.failback.contracts.site.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** What job-service asks azure-sim's management API about the VMs running in Azure. */
@ApplicationScoped
public class AzureVms {
    /** A registration waits this long for azure-sim's answer: a user is waiting for it. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);

    private final WebClient web;
    private final JobServiceConfig config;

    public AzureVms(Vertx vertx, JobServiceConfig config) {
        this.web = WebClient.create(vertx);
        this.config = config;
    }

    @PreDestroy
    void close() {
        web.close();
    }

    /**
     * Succeeds when Azure has a VM of that name; fails with 422 {@code AzureVmNotFound} when it has none, and with 503
     * {@code AzureUnavailable} when azure-sim cannot answer now (a client may try again in a few seconds).
     */
    public Uni<Void> requireVm(String name) {
        String url = config.azureUrl() + "/api/vms/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        return web.getAbs(url).timeout(ANSWER_TIMEOUT.toMillis()).send()
                .onFailure().transform(away -> new ProblemException(503, "AzureUnavailable", "azure-sim at " + config.azureUrl()
                        + " cannot be reached to check that the Azure VM '" + name + "' exists (" + away.getMessage() + "); try again"))
                .map(response -> switch (response.statusCode()) {
                    case 200 -> null;
                    case 404 -> throw new ProblemException(422, "AzureVmNotFound", "Azure has no virtual machine named '" + name
                            + "'; recoveryAzureVmName must name the VM a committed failover left running there");
                    default -> throw new ProblemException(503, "AzureUnavailable", "azure-sim answered " + response.statusCode()
                            + " when asked for the Azure VM '" + name + "'; try again");
                });
    }
}
