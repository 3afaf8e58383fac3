package io.failback.jobs.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A one-time key a new on-premises host registers with, as a Site Recovery provider registers with a vault's key. The
 * key itself is shown once, to whoever created it; only its SHA-256 is kept. It is spent by the first registration
 * that presents it, and worth nothing after {@link #expiresAt} or once revoked.
 */
@Entity
@Table(name = "host_registration_key")
public class HostRegistrationKey extends PanacheEntityBase {
    @Id
    /** Chosen by whoever creates it, unique: how lists and revocations name it (the key is secret, its name is not). */
    public String name;
    public String keyHash;
    public Instant createdAt;
    public String createdBy;
    public Instant expiresAt;
    public Instant usedAt;
    public String usedByProvider;
    public Instant revokedAt;

    public String state(Instant now) {
        if (revokedAt != null) {
            return "Revoked";
        }
        if (usedAt != null) {
            return "Used";
        }
        return now.isBefore(expiresAt) ? "Active" : "Expired";
    }
}
