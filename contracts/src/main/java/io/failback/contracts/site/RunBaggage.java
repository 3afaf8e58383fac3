package io.failback.contracts.site;

import java.util.Map;

/**
 * The W3C baggage entries with which sync-service's calls to a site name the run they serve, by the MDC key under which
 * every service logs the same id (docs/tracing.md). sync-service sends them next to the traceparent; a site puts them
 * in the MDC of the request. Optional both ways: a call without them is served and logged without.
 */
public final class RunBaggage {
    public static final Map<String, String> ENTRY_BY_MDC_KEY = Map.of(
            "jobName", "failback.jobName",
            "itemName", "failback.itemName",
            "commandId", "failback.commandId");

    private RunBaggage() {
    }
}
