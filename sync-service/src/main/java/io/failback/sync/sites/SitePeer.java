package io.failback.sync.sites;

/**
 * Who a site must be, with TLS between services: azure-sim (its certificate from the internal CA) or a host (from the
 * hosts CA), and the CN its certificate must carry, for a host the provider id the command names.
 */
public record SitePeer(String identity, boolean host) {
}
