package io.failback.system;

import io.failback.contracts.messaging.Topics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Who may do what on the local broker when Kafka is secured ({@code --tls-internal}): one SCRAM principal per service
 * and one for Kafka-driven automation, each allowed only the topics and consumer groups its role needs (the same
 * rules as the Strimzi KafkaUsers in deploy/overlays/operators). The broker denies everything no rule allows.
 */
public final class KafkaAccess {

    /** The launcher's own principal: a super user that formats, creates topics and ACLs, and the broker's inter-broker user. */
    public static final String ADMIN = "admin";
    public static final String JOB_SERVICE = "job-service";
    public static final String SYNC_SERVICE = "sync-service";
    public static final String HOST_AGENT = "host-agent";
    /** Kafka-driven automation: sends operation requests, reads their results and the state changes. */
    public static final String AUTOMATION = "automation";
    public static final List<String> PRINCIPALS = List.of(ADMIN, JOB_SERVICE, SYNC_SERVICE, HOST_AGENT, AUTOMATION);

    private KafkaAccess() {
    }

    /** The principal a service's Kafka clients log in as; null for a service that uses no Kafka. */
    static String principalOf(String module) {
        return switch (module) {
            case ProjectLayout.HOST_AGENT -> HOST_AGENT;
            case LocalSystem.JOB_SERVICE -> JOB_SERVICE;
            case LocalSystem.SYNC_SERVICE -> SYNC_SERVICE;
            default -> null;
        };
    }

    static List<AclBinding> bindings() {
        List<AclBinding> acls = new ArrayList<>();
        // job-service: publishes commands (through its outbox), operation results and state changes; consumes events,
        // heartbeats and operation requests, and dead-letters what it cannot read of them.
        write(acls, JOB_SERVICE, Topics.SYNC_COMMANDS, Topics.OPERATION_RESULTS, Topics.STATE_CHANGES,
                Topics.SYNC_EVENTS + Topics.DEAD_LETTER_SUFFIX, Topics.PROVIDER_HEARTBEATS + Topics.DEAD_LETTER_SUFFIX,
                Topics.OPERATIONS + Topics.DEAD_LETTER_SUFFIX);
        read(acls, JOB_SERVICE, Topics.SYNC_EVENTS, Topics.PROVIDER_HEARTBEATS, Topics.OPERATIONS);
        groups(acls, JOB_SERVICE, "job-service-");
        // sync-service: consumes commands, publishes events.
        write(acls, SYNC_SERVICE, Topics.SYNC_EVENTS, Topics.SYNC_COMMANDS + Topics.DEAD_LETTER_SUFFIX);
        read(acls, SYNC_SERVICE, Topics.SYNC_COMMANDS);
        groups(acls, SYNC_SERVICE, "sync-service");
        // host-agent: heartbeats only.
        write(acls, HOST_AGENT, Topics.PROVIDER_HEARTBEATS);
        // automation: requests operations and reads what became of them; its consumer groups start with "automation".
        write(acls, AUTOMATION, Topics.OPERATIONS);
        read(acls, AUTOMATION, Topics.OPERATION_RESULTS, Topics.STATE_CHANGES);
        groups(acls, AUTOMATION, "automation");
        return acls;
    }

    /** Write implies Describe, which producers need for metadata; idempotent producers need nothing more (KIP-679). */
    private static void write(List<AclBinding> acls, String principal, String... topics) {
        for (String topic : topics) {
            acls.add(allow(principal, new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), AclOperation.WRITE));
        }
    }

    private static void read(List<AclBinding> acls, String principal, String... topics) {
        for (String topic : topics) {
            acls.add(allow(principal, new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), AclOperation.READ));
        }
    }

    private static void groups(List<AclBinding> acls, String principal, String prefix) {
        acls.add(allow(principal, new ResourcePattern(ResourceType.GROUP, prefix, PatternType.PREFIXED), AclOperation.READ));
    }

    private static AclBinding allow(String principal, ResourcePattern resource, AclOperation operation) {
        return new AclBinding(resource, new AccessControlEntry("User:" + principal, "*", operation, AclPermissionType.ALLOW));
    }
}
