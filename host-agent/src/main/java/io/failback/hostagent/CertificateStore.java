package io.failback.hostagent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.site.ProblemException;
import io.failback.sitedisk.SiteFiles;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cloud data-encryption certificates installed on this host (as at Site Recovery provider installation): with
 * one, the host opens blocks sealed under that key, and seals what it sends. Kept under the storage folder.
 */
@ApplicationScoped
public class CertificateStore {
    private final HostAgentConfig config;
    private final ObjectMapper json;
    private final Map<String, Installed> installed = new ConcurrentHashMap<>();

    /** As stored in {@code certificates/<id>/certificate.json}. */
    public record Installed(String certificateId, String keyBase64, Instant installedAt) {
        CloudKey key() {
            return CloudKey.of(Base64.getDecoder().decode(keyBase64));
        }
    }

    public CertificateStore(HostAgentConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
    }

    @PostConstruct
    void load() {
        SiteFiles.readAll(json, root(), "certificate.json", Installed.class).forEach(c -> installed.put(c.certificateId(), c));
    }

    public synchronized List<String> install(String certificateId, String keyBase64) {
        CloudKey key;
        try {
            key = CloudKey.of(Base64.getDecoder().decode(keyBase64));
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("CertificateInvalid", "the key must be 32 bytes of base64: " + e.getMessage());
        }
        if (!key.certificateId().equals(certificateId)) {
            throw ProblemException.badRequest("CertificateInvalid", "the key does not belong to certificate " + certificateId);
        }
        Installed certificate = new Installed(certificateId, keyBase64, Instant.now());
        SiteFiles.writeSecretAtomically(json, root().resolve(certificateId).resolve("certificate.json"), certificate);
        installed.put(certificateId, certificate);
        return ids();
    }

    public List<String> ids() {
        return installed.keySet().stream().sorted().toList();
    }

    /** The key of that certificate, or null when it is not installed here. */
    public CloudKey key(String certificateId) {
        Installed certificate = installed.get(certificateId);
        return certificate == null ? null : certificate.key();
    }

    /** The most recently installed key, which outgoing blocks are sealed with; null sends them in the clear. */
    public CloudKey newest() {
        return installed.values().stream().max(Comparator.comparing(Installed::installedAt)).map(Installed::key).orElse(null);
    }

    private Path root() {
        return config.storageDir().resolve("certificates");
    }
}
