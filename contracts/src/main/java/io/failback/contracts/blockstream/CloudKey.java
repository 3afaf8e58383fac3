package io.failback.contracts.blockstream;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The cloud's data-encryption key (AES-256), named by the id of the certificate issued with it at provider
 * installation: the thumbprint, 40 hex digits of the key's SHA-256. Whoever holds a certificate of that id holds
 * the key.
 */
public record CloudKey(String certificateId, byte[] key) {

    public static CloudKey generate() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return of(key);
    }

    public static CloudKey of(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("an AES-256 key has 32 bytes, not " + key.length);
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key);
            return new CloudKey(HexFormat.of().withUpperCase().formatHex(hash, 0, 20), key.clone());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
