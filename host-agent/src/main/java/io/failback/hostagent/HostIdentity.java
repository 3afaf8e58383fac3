package io.failback.hostagent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * This host's identity, as registration gave it: {@code identity/certificate.pem} (the host's certificate from the
 * hosts CA, then the CA's) and {@code identity/key.pem} (its EC P-256 private key, PKCS#8, mode 600) under the
 * storage folder. The key is made here and never leaves the host; the HTTPS server serves the pair, the heartbeats are
 * signed with the key, and a broker that authenticates by certificate knows the host by it
 * ({@code identity/kafka-keystore.pem}).
 */
public final class HostIdentity {
    static final String DIRECTORY = "identity";
    static final String CERTIFICATE = "certificate.pem";
    static final String KEY = "key.pem";
    /** The key, then the chain, in one file: the PEM key store Kafka's clients read (mode 600). */
    static final String KAFKA_KEY_STORE = "kafka-keystore.pem";

    private HostIdentity() {
    }

    public static Path certificateFile(Path storageDir) {
        return storageDir.resolve(DIRECTORY).resolve(CERTIFICATE);
    }

    public static Path keyFile(Path storageDir) {
        return storageDir.resolve(DIRECTORY).resolve(KEY);
    }

    /** Whether this host has registered: both files are there. */
    public static boolean exists(Path storageDir) {
        return Files.isRegularFile(certificateFile(storageDir)) && Files.isRegularFile(keyFile(storageDir));
    }

    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot make an EC P-256 key pair: " + e.getMessage(), e);
        }
    }

    /** Writes the key (mode 600 before a byte of it is written), then the certificate chain: the certificate last, so that its presence means both are whole. */
    static void store(Path storageDir, PrivateKey key, String certificateChain) {
        String keyPem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        write(keyFile(storageDir), keyPem, true);
        write(kafkaKeyStoreFile(storageDir), keyPem + certificateChain, true);
        write(certificateFile(storageDir), certificateChain, false);
    }

    public static Path kafkaKeyStoreFile(Path storageDir) {
        return storageDir.resolve(DIRECTORY).resolve(KAFKA_KEY_STORE);
    }

    /**
     * The Kafka key store of the identity in {@code storageDir}, written from the key and certificate when an identity
     * from before it existed lacks it; null when the host has not registered.
     */
    static Path kafkaKeyStore(Path storageDir) {
        if (!exists(storageDir)) {
            return null;
        }
        Path keyStore = kafkaKeyStoreFile(storageDir);
        if (!Files.isRegularFile(keyStore)) {
            try {
                write(keyStore, Files.readString(keyFile(storageDir), StandardCharsets.US_ASCII)
                        + Files.readString(certificateFile(storageDir), StandardCharsets.US_ASCII), true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read this host's identity in " + storageDir.resolve(DIRECTORY), e);
            }
        }
        return keyStore;
    }

    /** The private key of the identity in {@code storageDir}; null when the host has not registered. */
    public static PrivateKey readKey(Path storageDir) {
        Path file = keyFile(storageDir);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            String pem = Files.readString(file, StandardCharsets.US_ASCII);
            String base64 = pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read this host's key " + file, e);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException(file + " is not this host's EC private key (PKCS#8 PEM)", e);
        }
    }

    private static void write(Path file, String content, boolean ownerOnly) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            Path temporary = ownerOnly && posix
                    ? Files.createTempFile(dir, file.getFileName() + ".", ".tmp",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
            Files.writeString(temporary, content, StandardCharsets.US_ASCII);
            if (!ownerOnly && posix) {
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
