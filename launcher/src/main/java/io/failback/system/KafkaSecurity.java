package io.failback.system;

import io.failback.system.security.KafkaCredentials;
import io.failback.system.security.LocalCertificates;
import io.failback.system.security.ServiceIdentity;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The local broker's security with {@code --tls-internal}: SASL_SSL with SCRAM-SHA-512 for clients, TLS with a
 * certificate from the local CA ({@code CN=kafka}), and the principals' passwords in files.
 *
 * @param broker      the broker's certificate and key; also its client identity towards its own controller
 * @param credentials every principal's password file ({@link KafkaAccess#PRINCIPALS})
 */
record KafkaSecurity(ServiceIdentity broker, KafkaCredentials credentials) {

    static final String MECHANISM = "SCRAM-SHA-512";

    static KafkaSecurity openOrCreate(Path tlsDir, Path credentialsDir) {
        return new KafkaSecurity(LocalCertificates.service(tlsDir, KafkaBroker.NAME),
                KafkaCredentials.openOrCreate(credentialsDir, KafkaAccess.PRINCIPALS));
    }

    /**
     * What a service's Kafka clients need to log in as {@code principal}: the password as a directory to read it from,
     * never its value (see the services' application.properties, "Kafka security").
     */
    Map<String, String> serviceEnvironment(String principal) {
        return Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_USERNAME", principal,
                "KAFKA_SASL_PASSWORD_DIR", credentials.passwordDirectory(principal).toString(),
                "KAFKA_SSL_TRUSTSTORE_LOCATION", broker.ca().toString());
    }

    /** Client properties for a Kafka client in this JVM (the launcher, tests, automation) logging in as {@code principal}. */
    Map<String, Object> clientProperties(String principal) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("security.protocol", "SASL_SSL");
        properties.put("sasl.mechanism", MECHANISM);
        properties.put("sasl.jaas.config", jaas(principal, credentials.password(principal)));
        properties.put("ssl.truststore.type", "PEM");
        properties.put("ssl.truststore.location", broker.ca().toString());
        return properties;
    }

    static String jaas(String principal, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + principal
                + "\" password=\"" + password + "\";";
    }
}
