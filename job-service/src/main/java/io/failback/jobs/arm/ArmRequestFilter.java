package io.failback.jobs.arm;

import io.failback.jobs.security.AccessRefusals;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * What ARM does for every request before a resource provider sees it, done here for the ARM paths only:
 * <ul>
 * <li>the literal segments of the path match whatever their case ({@code /Subscriptions/…/replicationjobs} is
 * {@code /subscriptions/…/replicationJobs}), as ARM matches them; names keep the caller's spelling;</li>
 * <li>the {@code api-version} query parameter must be there ({@code MissingApiVersionParameter}) and be the one
 * version served ({@code InvalidApiVersionParameter}), each a 400 in ARM's error shape.</li>
 * </ul>
 */
public class ArmRequestFilter {
    /** Every literal segment of an ARM path here, by its lower-case spelling. */
    private static final Map<String, String> LITERALS = new TreeMap<>();

    static {
        for (String literal : List.of("subscriptions", "resourceGroups", "providers", "Microsoft.RecoveryServices", "vaults",
                ArmPaths.FABRICS, ArmPaths.CONTAINERS, ArmPaths.ITEMS, ArmPaths.PROTECTABLE_ITEMS, ArmPaths.PROVIDERS, ArmPaths.JOBS,
                ArmPaths.PLANS, ArmPaths.OPERATION_STATUS, ArmPaths.OPERATION_RESULTS, "plannedFailover", "unplannedFailover",
                "testFailover", "testFailoverCleanup", "failoverCommit", "failoverCancel", "reProtect", "repairReplication", "remove",
                "resume", "restart", "cancel")) {
            LITERALS.put(literal.toLowerCase(java.util.Locale.ROOT), literal);
        }
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!AccessRefusals.isArm(path)) {
            return null;
        }
        List<String> versions = request.getUriInfo().getQueryParameters().get("api-version");
        if (versions == null || versions.isEmpty() || versions.get(0).isBlank()) {
            return ArmErrors.response(400, "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.");
        }
        for (String version : versions) {
            if (!ArmPaths.API_VERSION.equals(version)) {
                return ArmErrors.response(400, "InvalidApiVersionParameter", "The api-version '" + version
                        + "' is invalid. The supported versions are '" + ArmPaths.API_VERSION + "'.");
            }
        }
        String canonical = canonical(request.getUriInfo().getRequestUri().getRawPath());
        if (!canonical.equals(request.getUriInfo().getRequestUri().getRawPath())) {
            request.setRequestUri(UriBuilder.fromUri(request.getUriInfo().getRequestUri()).replacePath(canonical).build());
        }
        return null;
    }

    /**
     * The path with each literal segment spelled as routed. In {@code /subscriptions/{s}/resourceGroups/{rg}/providers/
     * Microsoft.RecoveryServices/vaults/{v}/...} the literals are segments 0, 2, 4, 5, 6, then every even one from 8
     * (collections and actions alternate with names), so a resource named like a literal keeps its spelling.
     */
    static String canonical(String rawPath) {
        String[] segments = rawPath.substring(1).split("/", -1);
        StringBuilder result = new StringBuilder();
        for (int i = 0; i < segments.length; i++) {
            boolean literal = i == 0 || i == 2 || i == 4 || i == 5 || i == 6 || (i >= 8 && i % 2 == 0);
            String segment = segments[i];
            result.append('/').append(literal ? LITERALS.getOrDefault(segment.toLowerCase(java.util.Locale.ROOT), segment) : segment);
        }
        return result.toString();
    }
}
