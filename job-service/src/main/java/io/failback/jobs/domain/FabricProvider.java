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

/** An on-premises Hyper-V host registered through its heartbeats (Site Recovery's "recovery services provider"). */
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

    /** Kept as a JSON object: the reactive driver binds JSON objects, not top-level arrays. */
    public record HostDetails(List<String> virtualSwitches) {
    }

    public boolean isConnected(Instant now, Duration heartbeatTimeout) {
        return lastHeartbeat != null && lastHeartbeat.plus(heartbeatTimeout).isAfter(now);
    }
}
