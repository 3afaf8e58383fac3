package io.failback.contracts.messaging;

import java.util.List;

/**
 * Who may do what on a secured Kafka (issue #16; docs/security.md, "Kafka"): one principal per service and one for
 * Kafka-driven automation, each allowed only the topics and consumer groups of its part. The launcher's broker applies
 * these as ACLs with {@code --tls-internal}; the operators overlay's KafkaUsers must say the same (deploy-checks).
 * Everything not listed is denied; Write and Read imply Describe.
 */
public final class KafkaPrincipals {

    /**
     * @param name              the principal's user name (SCRAM), as the service's KAFKA_SASL_USERNAME
     * @param writes            the topics it may produce to
     * @param reads             the topics it may consume
     * @param groupPrefix       the prefix of the consumer groups it may use, or null for none
     */
    public record Access(String name, List<String> writes, List<String> reads, String groupPrefix) {
        public Access {
            writes = List.copyOf(writes);
            reads = List.copyOf(reads);
        }
    }

    /**
     * job-service: publishes commands (through its outbox), operation results and state changes; consumes events,
     * heartbeats and operation requests, and dead-letters what it cannot read of them.
     */
    public static final Access JOB_SERVICE = new Access("job-service",
            List.of(Topics.SYNC_COMMANDS, Topics.OPERATION_RESULTS, Topics.STATE_CHANGES,
                    Topics.SYNC_EVENTS + Topics.DEAD_LETTER_SUFFIX, Topics.PROVIDER_HEARTBEATS + Topics.DEAD_LETTER_SUFFIX,
                    Topics.OPERATIONS + Topics.DEAD_LETTER_SUFFIX),
            List.of(Topics.SYNC_EVENTS, Topics.PROVIDER_HEARTBEATS, Topics.OPERATIONS), "job-service-");
    /** sync-service: consumes commands, publishes events. */
    public static final Access SYNC_SERVICE = new Access("sync-service",
            List.of(Topics.SYNC_EVENTS, Topics.SYNC_COMMANDS + Topics.DEAD_LETTER_SUFFIX), List.of(Topics.SYNC_COMMANDS), "sync-service");
    /** Every host-agent: heartbeats only. Which host sent one is proven by its registered identity, not by this login. */
    public static final Access HOST_AGENT = new Access("host-agent", List.of(Topics.PROVIDER_HEARTBEATS), List.of(), null);
    /** Kafka-driven automation: requests operations and reads what became of them; its groups start with "automation". */
    public static final Access AUTOMATION = new Access("automation",
            List.of(Topics.OPERATIONS), List.of(Topics.OPERATION_RESULTS, Topics.STATE_CHANGES), "automation");

    public static final List<Access> ALL = List.of(JOB_SERVICE, SYNC_SERVICE, HOST_AGENT, AUTOMATION);

    /**
     * How a broker that authenticates clients by certificate (mutual TLS) names them, as Kafka's
     * {@code ssl.principal.mapping.rules}: the subject (RFC 2253, last RDN first) of a certificate from the hosts CA,
     * {@code CN=<providerId>,OU=hosts,O=Failback}, is the principal {@code host-agent} whatever its provider id (first,
     * so that a host registered as "job-service" is still a host); a service's, {@code CN=<name>,O=Failback}, is
     * {@code <name>}. Any other subject matches no rule, and Kafka refuses the connection. Which CA may sign which
     * subject is the broker's truststore's business: only the hosts CA signs {@code OU=hosts}, only the services' CA
     * the rest. The launcher's broker (hosts' listener) and the dev overlay's broker use exactly this (deploy-checks).
     */
    public static final String SSL_PRINCIPAL_MAPPING_RULES =
            "RULE:^CN=[^,]+,OU=hosts,O=Failback$/" + HOST_AGENT.name() + "/,RULE:^CN=([^,]+),O=Failback$/$1/";

    private KafkaPrincipals() {
    }
}
