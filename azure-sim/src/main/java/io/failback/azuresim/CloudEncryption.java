package io.failback.azuresim;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.site.ProblemException;
import io.failback.sitedisk.SiteFiles;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The cloud's data-encryption setting. Enabling it issues the key and its certificate (as Site Recovery does at
 * provider installation); from then on replica storage is sealed with it, and a failback has to name the
 * certificate. The key is kept in {@code encryption.json} under the storage folder: a simulator's vault.
 */
@ApplicationScoped
public class CloudEncryption {
    private final AzureSimConfig config;
    private final ObjectMapper json;
    private volatile CloudKey key;

    /** What {@code GET /api/encryption} shows: never the key. */
    public record Setting(boolean enabled, String certificateId) {
    }

    /** The certificate issued at provider installation, to install on the on-premises hosts. */
    public record Certificate(String certificateId, String keyBase64) {
    }

    record Stored(String keyBase64) {
    }

    public CloudEncryption(AzureSimConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
    }

    @PostConstruct
    public void load() {
        Path file = file();
        if (Files.exists(file)) {
            try {
                key = CloudKey.of(Base64.getDecoder().decode(json.readValue(file.toFile(), Stored.class).keyBase64()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
    }

    public Setting setting() {
        CloudKey current = key;
        return new Setting(current != null, current == null ? null : current.certificateId());
    }

    /** Turns data encryption on, issuing a key the first time; enabling it again keeps the key. */
    public synchronized Setting enable() {
        if (key == null) {
            CloudKey issued = CloudKey.generate();
            SiteFiles.writeSecretAtomically(json, file(), new Stored(Base64.getEncoder().encodeToString(issued.key())));
            key = issued;
        }
        return setting();
    }

    public Certificate certificate() {
        CloudKey current = key;
        if (current == null) {
            throw ProblemException.notFound("EncryptionNotEnabled", "data encryption is not enabled for this cloud");
        }
        return new Certificate(current.certificateId(), Base64.getEncoder().encodeToString(current.key()));
    }

    /** The key with this certificate id, or a clear refusal. */
    public CloudKey key(String certificateId) {
        CloudKey current = key;
        if (current == null || !current.certificateId().equals(certificateId)) {
            throw ProblemException.conflict("EncryptionKeyMismatch", "this cloud has no key with certificate id '" + certificateId + "'");
        }
        return current;
    }

    /** The current key, or null when the cloud does not encrypt. */
    public CloudKey currentKey() {
        return key;
    }

    private Path file() {
        return config.storageDir().resolve("encryption.json");
    }
}
