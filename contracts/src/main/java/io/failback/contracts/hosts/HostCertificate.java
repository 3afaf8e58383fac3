package io.failback.contracts.hosts;

/**
 * job-service's answer to a {@link HostRegistration} it accepted: the host's identity.
 *
 * @param providerId       the provider id the certificate names ({@code CN=<providerId>,OU=hosts,O=Failback})
 * @param certificateChain PEM: the host's certificate, then the hosts CA's
 */
public record HostCertificate(String providerId, String certificateChain) {
}
