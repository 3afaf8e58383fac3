package io.failback.jobs.service;

import io.failback.contracts.messaging.HeartbeatSignature;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.hosts.HostRegistrations;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Keeps each registered on-premises host's state current from its heartbeats. A heartbeat speaks for a host only when
 * that host registered, the heartbeat is signed with the key it registered, and it advertises the address it
 * registered: anything else is refused and changes nothing, so whoever can write to the topic can neither make up a
 * host nor move where a host's data goes.
 */
@ApplicationScoped
public class ProviderRegistry {

    /** Why a heartbeat was refused; {@link #metricTag()} names it in {@code failback_heartbeats_refused_total}. */
    public enum Refusal {
        NOT_REGISTERED("not_registered", "no host with this provider id is registered"),
        NO_REGISTERED_KEY("no_registered_key", "the host announced itself before registration existed and has no key; remove it and register it"),
        BAD_SIGNATURE("bad_signature", "the signature is missing or not by the host's registered key"),
        ADDRESS_CHANGED("address_changed", "it advertises another URL than the one the host registered");

        private final String metricTag;
        private final String reason;

        Refusal(String metricTag, String reason) {
            this.metricTag = metricTag;
            this.reason = reason;
        }

        public String metricTag() {
            return metricTag;
        }

        public String reason() {
            return reason;
        }
    }

    /**
     * Applies the heartbeat whose record value is {@code value} and whose {@link HeartbeatSignature#HEADER} header is
     * {@code signature}; answers why it was refused, or null when it was accepted (a stale one is accepted and ignored).
     */
    @WithTransaction
    public Uni<Refusal> heartbeat(ProviderHeartbeat heartbeat, byte[] value, String signature) {
        return FabricProvider.<FabricProvider>findById(heartbeat.providerId()).map(provider -> {
            if (provider == null) {
                return Refusal.NOT_REGISTERED;
            }
            PublicKey key = HostRegistrations.registeredKey(provider);
            if (key == null) {
                return Refusal.NO_REGISTERED_KEY;
            }
            if (!HeartbeatSignature.verify(value, signature, key)) {
                return Refusal.BAD_SIGNATURE;
            }
            if (!sameAddress(provider.baseUrl, heartbeat.baseUrl())) {
                return Refusal.ADDRESS_CHANGED;
            }
            // The host turned TLS between services on or off: the same address, which its certificate names either way.
            provider.baseUrl = heartbeat.baseUrl();
            Instant sentAt = heartbeat.sentAt() == null ? Instant.now() : heartbeat.sentAt();
            if (provider.lastHeartbeat != null && !sentAt.isAfter(provider.lastHeartbeat)) {
                return null; // an older heartbeat arriving late says nothing new
            }
            if (heartbeat.friendlyName() != null && !heartbeat.friendlyName().isBlank()) {
                provider.friendlyName = heartbeat.friendlyName();
            }
            if (heartbeat.virtualSwitches() != null) {
                provider.details = new FabricProvider.HostDetails(List.copyOf(heartbeat.virtualSwitches()));
            }
            // Never later than our own clock: a host whose clock runs ahead must not look connected for longer.
            Instant now = Instant.now();
            provider.lastHeartbeat = sentAt.isAfter(now) ? now : sentAt;
            return null;
        });
    }

    /**
     * Whether two URLs of a host are the same address: host, port and path; the scheme may differ, since a host that
     * turns TLS between services on serves the same address over HTTPS (and its registered certificate names the host,
     * not a scheme). An unreadable URL is no address.
     */
    static boolean sameAddress(String registered, String advertised) {
        if (registered == null || advertised == null) {
            return false;
        }
        try {
            URI a = URI.create(registered);
            URI b = URI.create(advertised);
            return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b) && port(a) > 0
                    && Objects.equals(stripSlash(a.getRawPath()), stripSlash(b.getRawPath()));
        } catch (IllegalArgumentException unreadable) {
            return false;
        }
    }

    private static int port(URI url) {
        if (url.getPort() != -1) {
            return url.getPort();
        }
        return "https".equalsIgnoreCase(url.getScheme()) ? 443 : "http".equalsIgnoreCase(url.getScheme()) ? 80 : -1;
    }

    private static String stripSlash(String path) {
        return path == null || path.equals("/") ? "" : path;
    }
}
