package io.failback.system.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;

/**
 * The SCRAM passwords of the local Kafka broker's principals, random per installation. Each principal's password is the
 * file {@code <dir>/<principal>/password} (mode 600): the layout of a Kubernetes Secret mounted as a directory, which
 * the services' Kafka clients read with Kafka's {@code DirectoryConfigProvider}, so a password reaches a process as a
 * file and never as an argument or an environment variable.
 */
public final class KafkaCredentials {

    /** The name of the file holding a principal's password in its directory (as a Strimzi KafkaUser Secret's key). */
    public static final String PASSWORD_FILE = "password";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    private KafkaCredentials(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The passwords in {@code dir}, making one for each principal that has none yet. */
    public static KafkaCredentials openOrCreate(Path dir, Collection<String> principals) {
        KafkaCredentials credentials = new KafkaCredentials(dir);
        for (String principal : principals) {
            Path file = credentials.passwordFile(principal);
            if (!Files.isRegularFile(file)) {
                byte[] secret = new byte[24];
                RANDOM.nextBytes(secret);
                // URL-safe Base64 without padding: no character that needs quoting in JAAS or in a SCRAM argument.
                PemFiles.writeOwnerOnly(file, Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
            }
        }
        return credentials;
    }

    /** The directory holding {@code principal}'s {@value #PASSWORD_FILE} file, for KAFKA_SASL_PASSWORD_DIR. */
    public Path passwordDirectory(String principal) {
        return dir.resolve(principal);
    }

    public String password(String principal) {
        try {
            return Files.readString(passwordFile(principal), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the Kafka password of " + principal, e);
        }
    }

    /** Writes a file that holds a secret (the broker's configuration with its own password): mode 600. */
    public static void writeOwnerOnly(Path file, String content) {
        PemFiles.writeOwnerOnly(file, content);
    }

    private Path passwordFile(String principal) {
        return passwordDirectory(principal).resolve(PASSWORD_FILE);
    }
}
