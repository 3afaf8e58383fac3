package io.failback.jobs.hosts;

import io.failback.contracts.hosts.HostCertificate;
import io.failback.contracts.hosts.HostRegistration;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.domain.HostRegistrationKey;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * How on-premises hosts join and leave: one-time registration keys (created by a Contributor, shown once, kept as a
 * hash, spent by one registration, expiring), the registration that spends one and binds the host's provider id to
 * its public key and advertised address, and the removal that unbinds them.
 */
@ApplicationScoped
public class HostRegistrations {
    private static final Logger LOG = Logger.getLogger(HostRegistrations.class);
    /** Provider ids and key names: they name files and URL segments. */
    static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,62}";
    private static final String KEY_PREFIX = "fbr_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HostsCa ca;
    private final Duration keyLifetime;

    public HostRegistrations(HostsCa ca, HostsConfig config) {
        this.ca = ca;
        this.keyLifetime = config.registrationKeyLifetime();
    }

    /** A registration accepted: the host's certificate, and the name of the key it spent. */
    public record Registered(HostCertificate certificate, String keyName) {
    }

    /** A key just made: {@code secret} is returned this once and kept nowhere. */
    public record CreatedKey(HostRegistrationKey key, String secret) {
    }

    @WithTransaction
    public Uni<CreatedKey> createKey(String name, String createdBy) {
        requireName(name, "key name");
        return HostRegistrationKey.<HostRegistrationKey>findById(name).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().failure(ProblemException.conflict("RegistrationKeyExists",
                        "a registration key named '" + name + "' exists already; keys are never replaced, choose another name"));
            }
            byte[] random = new byte[32];
            RANDOM.nextBytes(random);
            String secret = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            HostRegistrationKey key = new HostRegistrationKey();
            key.name = name;
            key.keyHash = hash(secret);
            key.createdAt = Instant.now();
            key.createdBy = createdBy;
            key.expiresAt = key.createdAt.plus(keyLifetime);
            return key.persist().replaceWith(new CreatedKey(key, secret));
        });
    }

    @WithSession
    public Uni<List<HostRegistrationKey>> keys() {
        return HostRegistrationKey.listAll(Sort.by("createdAt").and("name"));
    }

    @WithSession
    public Uni<HostRegistrationKey> key(String name) {
        return HostRegistrationKey.<HostRegistrationKey>findById(name).onItem().ifNull().failWith(() -> keyNotFound(name));
    }

    /** A revoked key registers nothing; revoking one that was used changes nothing for the host that used it. */
    @WithTransaction
    public Uni<HostRegistrationKey> revoke(String name) {
        return HostRegistrationKey.<HostRegistrationKey>findById(name).onItem().ifNull().failWith(() -> keyNotFound(name))
                .invoke(key -> {
                    if (key.revokedAt == null && key.usedAt == null) {
                        key.revokedAt = Instant.now();
                    }
                });
    }

    /**
     * Spends {@code secret} and records the host, or refuses with a problem and changes nothing: a provider id already
     * registered (remove it first; a host recorded before registration existed, without a key, is claimed instead), a key that is unknown, used, expired or revoked, or a request that does not say
     * clearly who the host is. Two registrations with one key race on a conditional update: one wins.
     */
    @WithTransaction
    public Uni<Registered> register(String providerId, String secret, HostRegistration request) {
        PublicKey publicKey;
        URI advertisedUrl;
        try {
            requireName(providerId, "providerId");
            if (secret == null || secret.isBlank()) {
                throw new ProblemException(401, "RegistrationKeyMissing", "a host registers with a registration key in the "
                        + HostRegistration.KEY_HEADER + " header; a Contributor creates one with PUT /api/hostRegistrationKeys/{name}");
            }
            if (request == null) {
                throw ProblemException.badRequest("InvalidRegistration", "the body must be a host registration: friendlyName, advertisedUrl, virtualSwitches, publicKey");
            }
            if (request.friendlyName() == null || request.friendlyName().isBlank() || request.friendlyName().length() > 255) {
                throw ProblemException.badRequest("InvalidRegistration", "friendlyName must be 1 to 255 characters");
            }
            advertisedUrl = advertisedUrl(request.advertisedUrl());
            if (request.virtualSwitches() == null || request.virtualSwitches().isEmpty()
                    || request.virtualSwitches().stream().anyMatch(s -> s == null || s.isBlank())) {
                throw ProblemException.badRequest("InvalidRegistration", "virtualSwitches must name at least one switch, none blank");
            }
            publicKey = publicKey(request.publicKey());
        } catch (ProblemException refused) {
            return Uni.createFrom().failure(refused);
        }
        String keyHash = hash(secret);
        FabricProvider[] legacy = new FabricProvider[1];
        return FabricProvider.<FabricProvider>findById(providerId).chain(existing -> {
            // A host recorded from its heartbeats before registration existed has no key to protect: a valid key claims it.
            if (existing != null && existing.publicKey == null) {
                legacy[0] = existing;
            } else if (existing != null) {
                return Uni.createFrom().<HostRegistrationKey>failure(ProblemException.conflict("ProviderAlreadyRegistered", "a host '" + providerId
                        + "' is registered already; remove it (DELETE /api/replicationRecoveryServicesProviders/" + providerId
                        + ") before it registers again"));
            }
            return HostRegistrationKey.<HostRegistrationKey>find("keyHash", keyHash).firstResult();
        }).chain(key -> {
            Instant now = Instant.now();
            if (key == null) {
                return Uni.createFrom().failure(keyRefused("the registration key is not one this vault issued"));
            }
            String state = key.state(now);
            if (!state.equals("Active")) {
                return Uni.createFrom().failure(keyRefused("the registration key '" + key.name + "' is " + state.toLowerCase()
                        + "; create a new one"));
            }
            return HostRegistrationKey.update("usedAt = ?1, usedByProvider = ?2 where name = ?3 and usedAt is null and revokedAt is null",
                            now, providerId, key.name)
                    .chain(spent -> {
                        if (spent == 0) {
                            return Uni.createFrom().failure(keyRefused("the registration key '" + key.name + "' is used"));
                        }
                        String chain = ca.issue(providerId, publicKey, advertisedUrl);
                        FabricProvider provider = legacy[0] != null ? legacy[0] : new FabricProvider();
                        provider.providerId = providerId;
                        provider.friendlyName = request.friendlyName();
                        provider.baseUrl = request.advertisedUrl();
                        provider.details = new FabricProvider.HostDetails(List.copyOf(request.virtualSwitches()));
                        provider.publicKey = request.publicKey();
                        provider.certificate = chain;
                        provider.registeredAt = now;
                        LOG.infof("host %s registered with key %s, at %s", providerId, key.name, request.advertisedUrl());
                        Registered registered = new Registered(new HostCertificate(providerId, chain), key.name);
                        return legacy[0] != null ? Uni.createFrom().item(registered) : provider.persist().replaceWith(registered);
                    });
        });
    }

    /** The host is forgotten: its heartbeats are refused from now on and no failback can target it, until it registers again. */
    @WithTransaction
    public Uni<Void> remove(String providerId) {
        return FabricProvider.<FabricProvider>findById(providerId)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("ProviderNotFound", "no Hyper-V host '" + providerId + "' has registered"))
                .chain(provider -> provider.delete())
                .invoke(() -> LOG.infof("host %s removed", providerId));
    }

    /** The public key a host registered, or null when it has none or it cannot be read. */
    public static PublicKey registeredKey(FabricProvider provider) {
        if (provider.publicKey == null) {
            return null;
        }
        try {
            return publicKey(provider.publicKey);
        } catch (ProblemException unreadable) {
            return null;
        }
    }

    static PublicKey publicKey(String base64) {
        if (base64 == null || base64.isBlank()) {
            throw ProblemException.badRequest("InvalidRegistration", "publicKey must be the host's EC P-256 public key (X.509 SubjectPublicKeyInfo, Base64)");
        }
        try {
            PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
            if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw ProblemException.badRequest("InvalidRegistration", "publicKey must be an EC P-256 key");
            }
            return key;
        } catch (GeneralSecurityException | IllegalArgumentException unreadable) {
            throw ProblemException.badRequest("InvalidRegistration", "publicKey is not a readable EC public key (X.509 SubjectPublicKeyInfo, Base64)");
        }
    }

    private static URI advertisedUrl(String value) {
        try {
            URI url = value == null ? null : new URI(value);
            if (url == null || value.length() > 255 || url.getHost() == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
                    || url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
                throw ProblemException.badRequest("InvalidRegistration",
                        "advertisedUrl must be an absolute http(s) URL with a host, no query, fragment or user, at most 255 characters");
            }
            return url;
        } catch (java.net.URISyntaxException e) {
            throw ProblemException.badRequest("InvalidRegistration", "advertisedUrl is not a URL: " + e.getMessage());
        }
    }

    private static void requireName(String name, String what) {
        if (name == null || !name.matches(NAME_PATTERN)) {
            throw ProblemException.badRequest("InvalidName", what + " must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    private static ProblemException keyRefused(String detail) {
        return new ProblemException(403, "RegistrationKeyRefused", detail);
    }

    private static ProblemException keyNotFound(String name) {
        return ProblemException.notFound("RegistrationKeyNotFound", "no registration key named '" + name + "'");
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
