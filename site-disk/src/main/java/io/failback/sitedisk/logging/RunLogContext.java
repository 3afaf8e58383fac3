package io.failback.sitedisk.logging;

import io.failback.contracts.site.RunBaggage;
import io.opentelemetry.api.baggage.Baggage;
import io.vertx.ext.web.Router;
import org.jboss.logging.MDC;

/**
 * Names, in what a site logs while it serves a request, the job, item and command the request works for: sync-service
 * sends them with each call of a run as W3C baggage ({@link RunBaggage}, next to the trace's traceparent), and every
 * line the site logs for the request carries them as MDC fields, as sync-service's and job-service's own lines do. A
 * request without them (a person, a test, a heartbeat) logs without.
 */
public final class RunLogContext {
    private RunLogContext() {
    }

    /** Before every other handler of the site's router, JAX-RS resources and block routes alike. */
    public static void install(Router router) {
        router.route().order(Integer.MIN_VALUE).handler(request -> {
            Baggage baggage = Baggage.current();
            RunBaggage.ENTRY_BY_MDC_KEY.forEach((key, entry) -> {
                String value = baggage.getEntryValue(entry);
                if (value != null) {
                    MDC.put(key, value);
                }
            });
            request.next();
        });
    }
}
