package io.failback.contracts.messaging;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * Part of the {@link ProviderHeartbeat} contract since signatures were introduced (docs/contracts.md): a host signs the
 * exact value bytes of each heartbeat record with the private key of the identity it got when it registered, and puts
 * the signature in the record's {@link #HEADER} header. job-service verifies it with the public key it recorded at the
 * registration, so that whoever can write to the topic cannot speak for a host, nor move where its data goes.
 * <p>
 * Version 1: ECDSA P-256 with SHA-256 ({@link #ALGORITHM}), the signature DER-encoded as the JDK produces it, then
 * Base64 (standard alphabet) in the header, prefixed with {@code v1:}. A receiver refuses any other prefix.
 */
public final class HeartbeatSignature {
    /** The Kafka header that carries the signature. */
    public static final String HEADER = "failback-signature";
    public static final String ALGORITHM = "SHA256withECDSA";
    static final String VERSION_PREFIX = "v1:";

    private HeartbeatSignature() {
    }

    /** The header value for a record whose value is {@code value}. */
    public static String sign(byte[] value, PrivateKey key) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(key);
            signature.update(value);
            return VERSION_PREFIX + Base64.getEncoder().encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a heartbeat with a " + key.getAlgorithm() + " key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code header} is a version-1 signature of {@code value} by the holder of {@code key}; false for anything unreadable. */
    public static boolean verify(byte[] value, String header, PublicKey key) {
        if (header == null || !header.startsWith(VERSION_PREFIX) || key == null) {
            return false;
        }
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(key);
            signature.update(value);
            return signature.verify(Base64.getDecoder().decode(header.substring(VERSION_PREFIX.length())));
        } catch (GeneralSecurityException | IllegalArgumentException unreadable) {
            return false;
        }
    }
}
