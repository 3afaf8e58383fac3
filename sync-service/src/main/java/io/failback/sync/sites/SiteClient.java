package io.failback.sync.sites;

import io.failback.contracts.site.ChangedBlocks;
import io.failback.contracts.site.CreateOnPremisesVm;
import io.failback.contracts.site.DiskDigest;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.SiteVm;
import io.failback.contracts.site.VmSnapshot;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.Json;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.net.URI;
import java.util.Map;

/**
 * The management calls sync-service makes to either site (azure-sim or a host-agent), all non-blocking. Answers are
 * decoded into records, never read field by field: those of {@code contracts} for what both sites answer, {@link
 * SiteAnswers} for what only one does. An error answer becomes a {@link SiteCallException} carrying the site's problem
 * type and detail.
 */
public final class SiteClient {
    private final WebClient web;
    private final String baseUrl;
    private final String siteName;
    /** Who the site must be (TLS between services); null without. */
    private final SitePeer peer;

    public SiteClient(WebClient web, String baseUrl, String siteName) {
        this(web, baseUrl, siteName, null);
    }

    /** A site that must be {@code peer} (made by {@link SiteConnections}); {@code web} checks that on every connection. */
    public SiteClient(WebClient web, String baseUrl, String siteName, SitePeer peer) {
        this.web = web;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.siteName = siteName;
        this.peer = peer;
    }

    /** Who the site must be; null without TLS between services. */
    public SitePeer peer() {
        return peer;
    }

    /** The client that calls this site, for the calls made outside this class (hash lists). */
    public WebClient web() {
        return web;
    }

    public String url(String path) {
        return baseUrl + path;
    }

    /** The VM, or null when the site has none of that name. */
    public Uni<SiteVm> findVm(String name) {
        return web.getAbs(url("/api/vms/" + name)).send().map(response -> {
            if (response.statusCode() == 404) {
                return null;
            }
            return expect(response, 200).bodyAsJson(SiteVm.class);
        }).onFailure(this::isTransport).transform(this::unreachable);
    }

    public Uni<SiteVm> post(String path) {
        return web.postAbs(url(path)).send()
                .map(response -> expect(response, 200).bodyAsJson(SiteVm.class))
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /** GETs the JSON answer as {@code type}. */
    public <T> Uni<T> get(String path, Class<T> type) {
        return web.getAbs(url(path)).send()
                .map(response -> expect(response, 200).bodyAsJson(type))
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /** GETs the JSON answer as {@code type}, or null when the site answers 404. */
    public <T> Uni<T> getOrNull(String path, Class<T> type) {
        return web.getAbs(url(path)).send()
                .map(response -> response.statusCode() == 404 ? null : expect(response, 200).bodyAsJson(type))
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /** POSTs a JSON body, expecting {@code status}; the reply is not read. */
    public Uni<Void> postJson(String path, Object body, int status) {
        return web.postAbs(url(path)).sendJson(body)
                .map(response -> {
                    expect(response, status);
                    return (Void) null;
                })
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /** PUTs a JSON body and answers the JSON reply as {@code type}, expecting {@code status}. */
    public <T> Uni<T> putJson(String path, Object body, int status, Class<T> type) {
        return web.putAbs(url(path)).sendJson(body)
                .map(response -> expect(response, status).bodyAsJson(type))
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /** A consistent snapshot of all the VM's disks while it runs, with each disk's tracking point. */
    public Uni<VmSnapshot> snapshot(String vmName) {
        return web.postAbs(url("/api/vms/" + vmName + "/snapshots")).send()
                .map(response -> expect(response, 201).bodyAsJson(VmSnapshot.class))
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /** The blocks of a disk written since {@code trackingPoint}, as the site's changed-block tracking reports them. */
    public Uni<ChangedBlocks> changedBlocks(String diskPath, long trackingPoint) {
        return get(diskPath + "/changed-blocks?since=" + trackingPoint, ChangedBlocks.class);
    }

    /** DELETE, expecting 200 or 204. */
    public Uni<Void> delete(String path) {
        return web.deleteAbs(url(path)).send()
                .map(response -> {
                    expect(response, response.statusCode() == 204 ? 204 : 200);
                    return (Void) null;
                })
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    public Uni<SiteVm> createVm(String name, CreateOnPremisesVm request) {
        return web.putAbs(url("/api/vms/" + name)).sendJson(request)
                .map(response -> expect(response, 201).bodyAsJson(SiteVm.class))
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /** The SHA-256 of a disk under {@code diskPath} ({@code /api/vms/{vm}/disks/{disk}} or a replica's), or of a snapshot. */
    public Uni<DiskDigest> digest(String diskPath, String snapshotId) {
        return web.getAbs(url(diskPath + "/digest" + (snapshotId == null ? "" : "?snapshot=" + snapshotId))).send()
                .map(response -> expect(response, 200).bodyAsJson(DiskDigest.class))
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    /**
     * Asks the host to compare its disk with the source's digest; a match makes the disk consistent there. Answers
     * the digest the host computed itself.
     */
    public Uni<String> verify(String vmName, String diskId, DiskDigest sourceDigest) {
        return web.postAbs(url("/api/vms/" + vmName + "/disks/" + diskId + "/verify"))
                .sendJson(Map.of("algorithm", sourceDigest.algorithm(), "digest", sourceDigest.digest()))
                .map(response -> expect(response, 200).bodyAsJson(SiteAnswers.VerifiedDisk.class).digest())
                .onFailure(this::isTransport).transform(this::unreachable);
    }

    private HttpResponse<Buffer> expect(HttpResponse<Buffer> response, int status) {
        if (response.statusCode() != status) {
            throw failureOf(siteName, baseUrl, response.statusCode(), response.bodyAsString());
        }
        return response;
    }

    /**
     * Turns an error answer (ideally problem+json) into an exception naming the site's problem type. A site that
     * answers it is unavailable (502, 503, 504: starting, overloaded, behind a proxy whose backend is away) is away.
     *
     * @param url any URL of the site that answered
     */
    public static SiteCallException failureOf(String siteName, String url, int status, String body) {
        Problem problem = problemOf(body);
        String detail = problem == null || problem.detail() == null ? body : problem.detail();
        if (status == 503 && problem != null && Problem.SITE_BUSY.equals(problem.type())) {
            URI site = URI.create(url);
            return SiteCallException.partAway(Problem.SITE_BUSY, siteName + " at " + site.getScheme() + "://" + site.getRawAuthority()
                    + " is busy: " + detail, url);
        }
        if (status == 502 || status == 503 || status == 504) {
            return SiteCallException.partAway("SiteUnavailable", siteName + " answered " + status + ": " + body, url);
        }
        String type = problem == null || problem.type() == null ? "SiteCallFailed" : problem.type();
        return new SiteCallException(type, siteName + " answered " + status + ": " + detail);
    }

    /** The answer's problem detail; null when the body is none (the raw body then stands for it). */
    private static Problem problemOf(String body) {
        try {
            return body == null ? null : Json.decodeValue(body, Problem.class);
        } catch (RuntimeException notJson) {
            return null;
        }
    }

    private boolean isTransport(Throwable failure) {
        return !(failure instanceof SiteCallException);
    }

    private Throwable unreachable(Throwable failure) {
        return SiteCallException.partAway("SiteUnreachable", siteName + " at " + baseUrl + " could not be reached: " + failure.getMessage(),
                baseUrl);
    }
}
