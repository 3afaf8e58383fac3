package io.failback.jobs.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * An on-premises Hyper-V host (Site Recovery's "recovery services provider"), registered with a one-time key: from then
 * on only heartbeats signed with {@link #publicKey}'s private half and advertising {@link #baseUrl} are accepted.
 */
@Entity
@Table(name = "fabric_provider")
public class FabricProvider extends PanacheEntityBase {
    @Id
    public String providerId;
    public String friendlyName;
    public String baseUrl;
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public HostDetails details = new HostDetails(List.of());
    public Instant lastHeartbeat;
    /** The host's public key (X.509 SubjectPublicKeyInfo, Base64), as it registered; null for a host from before registration. */
    @Column(columnDefinition = "text")
    public String publicKey;
    /** The certificate job-service issued to the host at its registration (PEM). */
    @Column(columnDefinition = "text")
    public String certificate;
    public Instant registeredAt;

    /** Kept as a JSON object: the reactive driver binds JSON objects, not top-level arrays. */
    public record HostDetails(List<String> virtualSwitches) {
    }

    public boolean isConnected(Instant now, Duration heartbeatTimeout) {
        return lastHeartbeat != null && lastHeartbeat.plus(heartbeatTimeout).isAfter(now);
    }
}
