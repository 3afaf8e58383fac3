package io.failback.jobs.arm;

import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;

/**
 * The vault a request names ({@code /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{v}}):
 * every vault name is accepted and there is one set of resources behind all of them, but the ids and links in an
 * answer embed the request's own values, so that a caller can parse them and follow them back here.
 */
public class VaultScope {
    @PathParam("subscriptionId")
    String subscriptionId;
    @PathParam("resourceGroupName")
    String resourceGroupName;
    @PathParam("resourceName")
    String resourceName;
    @Context
    UriInfo uri;

    public VaultScope() {
    }

    VaultScope(String subscriptionId, String resourceGroupName, String resourceName, UriInfo uri) {
        this.subscriptionId = subscriptionId;
        this.resourceGroupName = resourceGroupName;
        this.resourceName = resourceName;
        this.uri = uri;
    }

    /** The vault's ARM id, the prefix of every id in an answer. */
    public String vaultId() {
        return "/subscriptions/" + subscriptionId + "/resourceGroups/" + resourceGroupName
                + "/providers/Microsoft.RecoveryServices/vaults/" + resourceName;
    }

    public String fabricId(String fabric) {
        return vaultId() + "/" + ArmPaths.FABRICS + "/" + fabric;
    }

    public String containerId(String fabric, String container) {
        return fabricId(fabric) + "/" + ArmPaths.CONTAINERS + "/" + container;
    }

    public String itemId(String item) {
        return containerId(ArmPaths.ON_PREMISES_FABRIC, ArmPaths.ON_PREMISES_CONTAINER) + "/" + ArmPaths.ITEMS + "/" + item;
    }

    public String protectableItemId(String vmName) {
        return containerId(ArmPaths.ON_PREMISES_FABRIC, ArmPaths.ON_PREMISES_CONTAINER) + "/" + ArmPaths.PROTECTABLE_ITEMS + "/" + vmName;
    }

    public String providerId(String provider) {
        return fabricId(ArmPaths.ON_PREMISES_FABRIC) + "/" + ArmPaths.PROVIDERS + "/" + provider;
    }

    public String jobId(String job) {
        return job == null ? null : vaultId() + "/" + ArmPaths.JOBS + "/" + job;
    }

    public String planId(String plan) {
        return vaultId() + "/" + ArmPaths.PLANS + "/" + plan;
    }

    /**
     * An absolute URL of this service for an id (or any path under the vault) with the api-version, built from the
     * request's own scheme, host and port: the SDK follows {@code nextLink} and the operation headers as given.
     *
     * @param query more query parameters, already encoded ({@code "$skipToken=..."}), or null
     */
    public String link(String path, String query) {
        URI base = uri.getBaseUri();
        String root = base.getScheme() + "://" + base.getRawAuthority();
        return root + path + "?api-version=" + ArmPaths.API_VERSION + (query == null ? "" : "&" + query);
    }

    public String operationStatusLink(String operationId) {
        return link(vaultId() + "/" + ArmPaths.OPERATION_STATUS + "/" + operationId, null);
    }

    public String operationResultLink(String operationId) {
        return link(vaultId() + "/" + ArmPaths.OPERATION_RESULTS + "/" + operationId, null);
    }

    /** The path this request was made to (without its query): where a list's next page is asked for. */
    public String requestPath() {
        return uri.getPath();
    }

    /** The value of a query parameter of this request, or null. */
    public String query(String name) {
        return uri.getQueryParameters().getFirst(name);
    }
}
