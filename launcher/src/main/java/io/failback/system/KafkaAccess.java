package io.failback.system;

import io.failback.contracts.messaging.KafkaPrincipals;
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
 * Who may do what on the local broker when Kafka is secured ({@code --tls-internal}): one principal per service
 * and one for Kafka-driven automation, each allowed only the topics and consumer groups of {@link KafkaPrincipals}
 * (which the Strimzi KafkaUsers in deploy/overlays/operators follow too), and the launcher's own super user. The
 * broker denies everything no rule allows.
 */
public final class KafkaAccess {

    /** The launcher's own principal: a super user that formats, creates topics and ACLs, and the broker's inter-broker user. */
    public static final String ADMIN = "admin";
    public static final String JOB_SERVICE = KafkaPrincipals.JOB_SERVICE.name();
    public static final String SYNC_SERVICE = KafkaPrincipals.SYNC_SERVICE.name();
    public static final String HOST_AGENT = KafkaPrincipals.HOST_AGENT.name();
    /** Kafka-driven automation: sends operation requests, reads their results and the state changes. */
    public static final String AUTOMATION = KafkaPrincipals.AUTOMATION.name();
    /** The principals that log in with a password; the hosts log in with their registered certificate ({@link KafkaSecurity}). */
    public static final List<String> SCRAM_PRINCIPALS = List.of(ADMIN, JOB_SERVICE, SYNC_SERVICE, AUTOMATION);

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

    /** The ACLs of {@link KafkaPrincipals}, the table the Kubernetes KafkaUsers follow too. */
    static List<AclBinding> bindings() {
        List<AclBinding> acls = new ArrayList<>();
        for (KafkaPrincipals.Access access : KafkaPrincipals.ALL) {
            // Write implies Describe, which producers need for metadata; idempotent producers need nothing more (KIP-679).
            for (String topic : access.writes()) {
                acls.add(allow(access.name(), new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), AclOperation.WRITE));
            }
            for (String topic : access.reads()) {
                acls.add(allow(access.name(), new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), AclOperation.READ));
            }
            if (access.groupPrefix() != null) {
                acls.add(allow(access.name(), new ResourcePattern(ResourceType.GROUP, access.groupPrefix(), PatternType.PREFIXED),
                        AclOperation.READ));
            }
        }
        return acls;
    }

    private static AclBinding allow(String principal, ResourcePattern resource, AclOperation operation) {
        return new AclBinding(resource, new AccessControlEntry("User:" + principal, "*", operation, AclPermissionType.ALLOW));
    }
}
