package io.failback.system;

import io.failback.system.security.HostsCa;
import io.failback.system.security.KafkaCredentials;
import io.failback.system.security.LocalCertificates;
import io.failback.system.security.ServiceIdentity;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The local broker's security with {@code --tls-internal}: TLS with a certificate from the local CA
 * ({@code CN=kafka}); the services and automation log in with SCRAM-SHA-512 (SASL_SSL), each with its password in a
 * file, as on the operators and prod overlays' brokers; the hosts log in on a listener of their own with the
 * certificate they got when they registered (mutual TLS, as every client on the dev overlay's broker), so no Kafka
 * password has to reach a Hyper-V host.
 *
 * @param broker      the broker's certificate and key; also its client identity towards its own controller
 * @param hostsCa     the hosts CA's certificate: the only issuer the hosts' listener trusts
 * @param credentials every SCRAM principal's password file ({@link KafkaAccess#SCRAM_PRINCIPALS})
 */
record KafkaSecurity(ServiceIdentity broker, Path hostsCa, KafkaCredentials credentials) {

    static final String MECHANISM = "SCRAM-SHA-512";

    static KafkaSecurity openOrCreate(Path tlsDir, Path credentialsDir) {
        return new KafkaSecurity(LocalCertificates.service(tlsDir, KafkaBroker.NAME), HostsCa.openOrCreate(tlsDir).certificate(),
                KafkaCredentials.openOrCreate(credentialsDir, KafkaAccess.SCRAM_PRINCIPALS));
    }

    /**
     * What a service's Kafka clients need to log in as {@code principal}: the password as a directory to read it from,
     * never its value (see the services' application.properties, "Kafka security"). A host presents its own
     * certificate, which it names itself (HostAgentMain).
     */
    Map<String, String> serviceEnvironment(String principal) {
        if (principal.equals(KafkaAccess.HOST_AGENT)) {
            return Map.of(
                    "KAFKA_SECURITY_PROTOCOL", "SSL",
                    "KAFKA_SSL_TRUSTSTORE_LOCATION", broker.ca().toString());
        }
        return Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_USERNAME", principal,
                "KAFKA_SASL_PASSWORD_DIR", credentials.passwordDirectory(principal).toString(),
                "KAFKA_SSL_TRUSTSTORE_LOCATION", broker.ca().toString());
    }

    /** Client properties for a Kafka client in this JVM (the launcher, tests, automation) logging in as {@code principal}. */
    Map<String, Object> clientProperties(String principal) {
        if (!KafkaAccess.SCRAM_PRINCIPALS.contains(principal)) {
            throw new IllegalArgumentException(principal + " logs in by certificate, not with a password: see hostClientProperties");
        }
        Map<String, Object> properties = new HashMap<>();
        properties.put("security.protocol", "SASL_SSL");
        properties.put("sasl.mechanism", MECHANISM);
        properties.put("sasl.jaas.config", jaas(principal, credentials.password(principal)));
        properties.put("ssl.truststore.type", "PEM");
        properties.put("ssl.truststore.location", broker.ca().toString());
        return properties;
    }

    /** Client properties for logging in on the hosts' listener with the key and certificate chain in {@code keyStore} (PEM). */
    Map<String, Object> certificateClientProperties(Path keyStore) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("security.protocol", "SSL");
        properties.put("ssl.keystore.type", "PEM");
        properties.put("ssl.keystore.location", keyStore.toString());
        properties.put("ssl.truststore.type", "PEM");
        properties.put("ssl.truststore.location", broker.ca().toString());
        return properties;
    }

    static String jaas(String principal, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + principal
                + "\" password=\"" + password + "\";";
    }
}
