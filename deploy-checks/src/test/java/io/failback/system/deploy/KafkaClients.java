package io.failback.system.deploy;

/**
 * The variables through which the services' Kafka clients are configured (each service's application.properties:
 * {@code kafka.security.protocol=${KAFKA_SECURITY_PROTOCOL:PLAINTEXT}} and so on; docs/security.md, "Kafka").
 */
final class KafkaClients {
    static final String BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS";
    /** PLAINTEXT, SSL (a client certificate) or SASL_SSL (a SCRAM login over TLS). */
    static final String SECURITY_PROTOCOL = "KAFKA_SECURITY_PROTOCOL";
    static final String SASL_USERNAME = "KAFKA_SASL_USERNAME";
    /** A folder with the file {@code password}: a mounted Secret. */
    static final String SASL_PASSWORD_DIR = "KAFKA_SASL_PASSWORD_DIR";
    /** The brokers' CA, PEM. */
    static final String TRUSTSTORE = "KAFKA_SSL_TRUSTSTORE_LOCATION";
    /** The client's own key and certificate chain in one PEM file, for brokers that authenticate clients by certificate. */
    static final String KEYSTORE = "KAFKA_SSL_KEYSTORE_LOCATION";

    private KafkaClients() {
    }
}
