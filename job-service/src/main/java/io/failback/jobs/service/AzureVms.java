package io.failback.jobs.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** What job-service asks azure-sim's management API about the VMs running in Azure. */
@ApplicationScoped
public class AzureVms {
    /** A registration waits this long for azure-sim's answer: a user is waiting for it. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);

    /** A failback's start asks for the disks' data bytes; it does not wait longer than this for them. */
    private static final Duration START_METRICS_TIMEOUT = Duration.ofSeconds(2);

    private final WebClient web;
    private final JobServiceConfig config;
    private final ObjectMapper json;

    public AzureVms(SiteWebClients sites, JobServiceConfig config, ObjectMapper json) {
        this.web = sites.azure();
        this.config = config;
        this.json = json;
    }

    /**
     * Succeeds when Azure has a VM of that name; fails with 422 {@code AzureVmNotFound} when it has none, and with 503
     * {@code AzureUnavailable} when azure-sim cannot answer now (a client may try again in a few seconds).
     */
    public Uni<Void> requireVm(String name) {
        String url = vmUrl(name);
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

    /** The VM's write rate and what its disks hold; 502 {@code AzureMetricsUnavailable} when azure-sim cannot say. */
    public Uni<AzureVmMetrics> metrics(String name) {
        return web.getAbs(vmUrl(name) + "/metrics").timeout(ANSWER_TIMEOUT.toMillis()).send()
                .onFailure().transform(away -> new ProblemException(502, "AzureMetricsUnavailable", "azure-sim at " + config.azureUrl()
                        + " cannot be reached for the metrics of '" + name + "' (" + away.getMessage() + "); try again"))
                .map(response -> {
                    if (response.statusCode() != 200) {
                        throw new ProblemException(502, "AzureMetricsUnavailable", "azure-sim answered " + response.statusCode()
                                + " for the metrics of '" + name + "': " + response.bodyAsString());
                    }
                    try {
                        return json.readValue(response.bodyAsString(), AzureVmMetrics.class);
                    } catch (JsonProcessingException e) {
                        throw new ProblemException(502, "AzureMetricsUnavailable", "azure-sim's metrics of '" + name
                                + "' are not what docs/contracts.md describes: " + e.getOriginalMessage());
                    }
                });
    }

    /**
     * The bytes of the VM's disks that hold data, for a failback that starts now to record; null when azure-sim does
     * not answer within {@link #START_METRICS_TIMEOUT}: the failback goes on regardless, only its estimate learns less.
     */
    public Uni<Long> dataBytesOrNull(String name) {
        return metrics(name).map(AzureVmMetrics::dataBytes)
                .ifNoItem().after(START_METRICS_TIMEOUT).recoverWithItem((Long) null)
                .onFailure().recoverWithItem((Long) null);
    }

    /**
     * What one disk of an Azure VM wrote since a tracking point: {@code touchedBytes} of the blocks written, and the
     * {@code changedBytes} those writes carry (whole blocks, and of blocks written in part only their pages).
     */
    public record ChangedSince(long touchedBytes, long changedBytes) {
    }

    public Uni<ChangedSince> changedSince(String name, String diskId, long since) {
        String url = vmUrl(name) + "/disks/" + URLEncoder.encode(diskId, StandardCharsets.UTF_8).replace("+", "%20")
                + "/changed-blocks?since=" + since;
        return web.getAbs(url).timeout(ANSWER_TIMEOUT.toMillis()).send()
                .onFailure().transform(away -> new ProblemException(502, "AzureMetricsUnavailable", "azure-sim at " + config.azureUrl()
                        + " cannot be reached for the blocks changed on '" + name + "' (" + away.getMessage() + "); try again"))
                .map(response -> {
                    if (response.statusCode() != 200) {
                        throw new ProblemException(502, "AzureMetricsUnavailable", "azure-sim answered " + response.statusCode()
                                + " for the blocks changed on disk " + diskId + " of '" + name + "': " + response.bodyAsString());
                    }
                    io.failback.contracts.site.ChangedBlocks changed = response.bodyAsJson(io.failback.contracts.site.ChangedBlocks.class);
                    return new ChangedSince(changed.blockCount() * changed.blockSize(), changed.changedBytes());
                });
    }

    private String vmUrl(String name) {
        return config.azureUrl() + "/api/vms/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
