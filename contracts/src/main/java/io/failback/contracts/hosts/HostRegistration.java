package io.failback.contracts.hosts;

import java.util.List;

/**
 * host-agent → job-service, {@code PUT /api/replicationRecoveryServicesProviders/{providerId}} with the one-time
 * registration key in the {@link #KEY_HEADER} header (not a bearer token: a new host has none). The host made the key
 * pair itself; only its public half travels.
 *
 * @param friendlyName    the host's name, e.g. hyperv-a.contoso.local
 * @param advertisedUrl   where the host's API answers; bound to the host's identity from now on
 * @param virtualSwitches the Hyper-V switches a restored VM can be connected to
 * @param publicKey       the host's public key, X.509 SubjectPublicKeyInfo DER in Base64 (an EC P-256 key)
 */
public record HostRegistration(String friendlyName, String advertisedUrl, List<String> virtualSwitches, String publicKey) {
    /** The request header that carries the registration key. */
    public static final String KEY_HEADER = "X-Failback-Registration-Key";
}
