package io.failback.system.deploy;

import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.Map;

/** cert-manager's namespaced {@code Issuer}: self-signed, or a CA whose certificate and key are in a Secret. */
@JsonDeserialize(using = JsonDeserializer.None.class)
final class CertManagerIssuer extends CertManagerResource<CertManagerIssuer.Spec> {
    static final String KIND = "Issuer";

    /** Exactly one of them: {@code selfSigned: {}} or {@code ca: {secretName: ...}}. */
    record Spec(Map<String, Object> selfSigned, Ca ca) {
    }

    /** The Secret (tls.crt, tls.key) of the CA that signs. */
    record Ca(String secretName) {
    }
}
