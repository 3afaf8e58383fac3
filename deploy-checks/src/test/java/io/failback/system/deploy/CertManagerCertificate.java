package io.failback.system.deploy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * cert-manager's {@code Certificate}: cert-manager writes the certificate, its key and the issuing CA into the Secret
 * {@code secretName} (keys {@link #SECRET_KEYS}) and renews them there.
 */
@JsonDeserialize(using = JsonDeserializer.None.class)
final class CertManagerCertificate extends CertManagerResource<CertManagerCertificate.Spec> {
    static final String KIND = "Certificate";
    /** The keys of the Secret cert-manager writes: type kubernetes.io/tls, plus the CA (a self-signed one's is itself). */
    static final Set<String> SECRET_KEYS = Set.of("tls.crt", "tls.key", "ca.crt");
    /** The key cert-manager adds for {@code additionalOutputFormats: [{type: CombinedPEM}]}: the private key, then the chain. */
    static final String COMBINED_PEM_KEY = "tls-combined.pem";
    /** The key cert-manager adds for {@code additionalOutputFormats: [{type: DER}]}: the private key, DER-encoded. */
    static final String DER_KEY = "key.der";

    /**
     * @param duration    how long a certificate is valid (Go duration; cert-manager's default 2160h)
     * @param renewBefore how long before its end it is renewed
     * @param usages      the key usages and extended key usages, as cert-manager names them ("server auth", ...)
     * @param additionalOutputFormats more keys of the Secret, each the same key and certificate in another form
     */
    record Spec(@JsonProperty(required = true) String secretName, String commonName, Subject subject, List<String> dnsNames,
            List<String> usages, Boolean isCA, String duration, String renewBefore, PrivateKey privateKey,
            @JsonProperty(required = true) IssuerRef issuerRef, List<OutputFormat> additionalOutputFormats) {

        List<String> dnsNamesOrNone() {
            return Objects.requireNonNullElse(dnsNames, List.of());
        }

        List<String> usagesOrDefault() {
            // cert-manager's default when none are given.
            return Objects.requireNonNullElse(usages, List.of("digital signature", "key encipherment"));
        }

        boolean ca() {
            return Boolean.TRUE.equals(isCA);
        }

        /** Every key cert-manager writes into the Secret: its usual three and one for each additional output format. */
        Set<String> secretKeys() {
            Set<String> keys = new TreeSet<>(SECRET_KEYS);
            for (OutputFormat format : Objects.requireNonNullElse(additionalOutputFormats, List.<OutputFormat>of())) {
                keys.add(switch (format.type()) {
                    case "CombinedPEM" -> COMBINED_PEM_KEY;
                    case "DER" -> DER_KEY;
                    default -> throw new IllegalArgumentException("Certificate " + secretName + ": no additional output format " + format.type()
                            + " in cert-manager (CombinedPEM, DER)");
                });
            }
            return keys;
        }
    }

    /** @param type {@code CombinedPEM} or {@code DER} */
    record OutputFormat(@JsonProperty(required = true) String type) {
    }

    record Subject(List<String> organizations, List<String> organizationalUnits) {
    }

    /**
     * @param rotationPolicy {@code Always} (cert-manager 1.18's default: a new key at every renewal) or {@code Never}
     */
    record PrivateKey(String algorithm, Integer size, String encoding, String rotationPolicy) {
    }

    record IssuerRef(@JsonProperty(required = true) String name, String kind, String group) {
    }
}
