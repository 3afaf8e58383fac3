package io.failback.system.deploy;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.failback.contracts.messaging.KafkaPrincipals;
import io.failback.contracts.messaging.Topics;
import io.strimzi.api.kafka.model.common.template.ContainerTemplate;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.KafkaClusterTemplate;
import io.strimzi.api.kafka.model.kafka.entityoperator.EntityOperatorSpec;
import io.strimzi.api.kafka.model.kafka.entityoperator.EntityOperatorTemplate;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.strimzi.api.kafka.model.kafka.KafkaAuthorizationSimple;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.kafka.listener.KafkaListenerAuthenticationScramSha512;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleType;
import io.strimzi.api.kafka.model.kafka.listener.KafkaListenerType;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePoolTemplate;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kafka and PostgreSQL run by their operators give Failback what it needs: a KafkaTopic for exactly each of its
 * topics, with a partition for every replica of the topic's consumer; every write kept on two nodes through a node
 * drain, and a primary kept too; the services pointed at the Services the operators make, with the credentials
 * CloudNativePG generates; the versions the build tests against; and operator pods the namespace's restricted Pod
 * Security Standard admits. For every overlay with an operator's resources.
 */
class OperatorResourcesTest {
    private static final String KAFKA_BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS";
    private static final String KAFKA_SECURITY_PROTOCOL = "KAFKA_SECURITY_PROTOCOL";
    private static final String KAFKA_SASL_USERNAME = "KAFKA_SASL_USERNAME";
    private static final String KAFKA_SASL_PASSWORD_DIR = "KAFKA_SASL_PASSWORD_DIR";
    private static final String DATABASE_MODULE = "job-service";
    private static final String DATASOURCE_URL = "FAILBACK_DATASOURCE_URL";
    private static final Map<String, String> DATASOURCE_CREDENTIALS = Map.of(
            "FAILBACK_DATASOURCE_USERNAME", "username", "FAILBACK_DATASOURCE_PASSWORD", "password");
    private static final String HOSTNAME = "kubernetes.io/hostname";

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void theKafkaTopicsAreExactlyFailbacksTopics(String overlay) {
        RenderedOverlay rendered = kafkaOverlay(overlay);
        Set<String> kafkas = new HashSet<>(rendered.all(Kafka.class).stream().map(kafka -> kafka.getMetadata().getName()).toList());
        List<String> problems = new ArrayList<>();
        Set<String> topics = new TreeSet<>();
        for (KafkaTopic topic : rendered.all(KafkaTopic.class)) {
            if (!topics.add(topicName(topic))) {
                problems.add("two KafkaTopics make " + topicName(topic));
            }
            String cluster = Objects.requireNonNullElse(topic.getMetadata().getLabels(), Map.<String, String>of()).get(Strimzi.CLUSTER_LABEL);
            if (!kafkas.contains(cluster)) {
                problems.add("KafkaTopic " + topic.getMetadata().getName() + " names Kafka " + cluster + ", which the overlay does not have");
            }
        }
        if (!topics.equals(new TreeSet<>(Topics.ALL))) {
            problems.add("KafkaTopics " + topics + ", Topics.ALL " + new TreeSet<>(Topics.ALL));
        }
        Deploy.assertNone(overlay, problems);
    }

    /** A consumer group hands each partition to one member: a replica beyond the partitions sits idle (deploy/README.md, "Scaling"). */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void everyTopicHasAPartitionForEachReplicaOfItsConsumer(String overlay) {
        RenderedOverlay rendered = kafkaOverlay(overlay);
        List<String> problems = new ArrayList<>();
        List<String> checked = new ArrayList<>();
        for (String module : Deploy.PROJECT.serviceModules()) {
            int replicas = rendered.workloadsRunning(module).stream().mapToInt(Workload::replicas).sum();
            for (String consumed : Deploy.service(module).consumedTopics()) {
                checked.add(module + " " + consumed);
                Optional<KafkaTopic> topic = rendered.all(KafkaTopic.class).stream().filter(candidate -> topicName(candidate).equals(consumed)).findFirst();
                if (topic.isEmpty()) {
                    problems.add(module + " consumes " + consumed + ", which no KafkaTopic makes");
                } else if (Objects.requireNonNullElse(topic.get().getSpec().getPartitions(), 1) < replicas) {
                    problems.add(consumed + " has " + topic.get().getSpec().getPartitions() + " partitions for " + replicas + " replicas of " + module);
                }
            }
        }
        if (checked.isEmpty()) {
            problems.add("no service module consumes a topic (mp.messaging.incoming.*.topic): the check found nothing to check");
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Issue #16: the services reach Kafka on a listener with TLS and SCRAM-SHA-512 logins only (there is no plain one),
     * with KAFKA_SECURITY_PROTOCOL=SASL_SSL.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void kafkaClientsBootstrapFromStrimzisServiceOnATlsListenerWithScramLogins(String overlay) {
        RenderedOverlay rendered = kafkaOverlay(overlay);
        String namespace = rendered.namespace().getMetadata().getName();
        List<String> securedListeners = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Kafka kafka : rendered.all(Kafka.class)) {
            for (GenericKafkaListener listener : kafka.getSpec().getKafka().getListeners()) {
                if (listener.isTls() && listener.getAuth() instanceof KafkaListenerAuthenticationScramSha512) {
                    securedListeners.add(Strimzi.bootstrapService(kafka.getMetadata().getName()) + ":" + listener.getPort());
                } else {
                    problems.add("Kafka " + kafka.getMetadata().getName() + " listener " + listener.getName()
                            + " takes clients without TLS and a SCRAM-SHA-512 login");
                }
            }
            if (!(kafka.getSpec().getKafka().getAuthorization() instanceof KafkaAuthorizationSimple)) {
                problems.add("Kafka " + kafka.getMetadata().getName() + " does not authorize with ACLs (authorization: simple)");
            }
        }
        List<String> clients = new ArrayList<>();
        for (Workload workload : rendered.workloads()) {
            for (Container container : workload.containers()) {
                Map<String, String> environment = rendered.literalEnvironment(container);
                String servers = environment.get(KAFKA_BOOTSTRAP_SERVERS);
                if (servers == null) {
                    continue;
                }
                clients.add(workload.toString());
                List<Address> addresses = Address.in(servers);
                if (addresses.isEmpty() || addresses.stream().anyMatch(address ->
                        !securedListeners.contains(address.serviceName(namespace) + ":" + address.port()))) {
                    problems.add(workload + " " + KAFKA_BOOTSTRAP_SERVERS + "=" + servers + ", not one of " + securedListeners);
                }
                if (!"SASL_SSL".equals(environment.get(KAFKA_SECURITY_PROTOCOL))) {
                    problems.add(workload + " " + KAFKA_SECURITY_PROTOCOL + "=" + environment.get(KAFKA_SECURITY_PROTOCOL) + ", not SASL_SSL");
                }
            }
        }
        if (clients.isEmpty()) {
            problems.add("no workload sets " + KAFKA_BOOTSTRAP_SERVERS);
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Every Kafka client logs in as a KafkaUser of the overlay with SCRAM-SHA-512 and ACLs, and reads that user's
     * password from the Secret Strimzi's user operator makes for it (its secretPrefix and the user's name), mounted
     * where KAFKA_SASL_PASSWORD_DIR says; each service's user may write only the topics its channels produce to.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void everyKafkaClientLogsInAsAKafkaUserWithItsOwnSecretAndOnlyItsTopics(String overlay) {
        RenderedOverlay rendered = kafkaOverlay(overlay);
        Map<String, KafkaUser> users = new HashMap<>();
        rendered.all(KafkaUser.class).forEach(user -> users.put(user.getMetadata().getName(), user));
        String secretPrefix = rendered.all(Kafka.class).stream().map(kafka -> kafka.getSpec().getEntityOperator())
                .filter(Objects::nonNull).map(EntityOperatorSpec::getUserOperator).filter(Objects::nonNull)
                .map(userOperator -> Objects.requireNonNullElse(userOperator.getSecretPrefix(), "")).findFirst().orElse(null);
        List<String> problems = new ArrayList<>();
        if (secretPrefix == null) {
            problems.add("no Kafka runs the user operator, which makes the KafkaUsers");
        }
        for (Workload workload : rendered.workloads()) {
            for (Container container : workload.containers()) {
                Map<String, String> environment = rendered.literalEnvironment(container);
                if (environment.get(KAFKA_BOOTSTRAP_SERVERS) == null) {
                    continue;
                }
                String principal = environment.get(KAFKA_SASL_USERNAME);
                KafkaUser user = principal == null ? null : users.get(principal);
                if (user == null || !(user.getSpec().getAuthentication() instanceof KafkaUserScramSha512ClientAuthentication)
                        || !(user.getSpec().getAuthorization() instanceof KafkaUserAuthorizationSimple)) {
                    problems.add(workload + " logs in as " + principal + ", which is no SCRAM-SHA-512 KafkaUser with ACLs");
                    continue;
                }
                String passwordDir = environment.get(KAFKA_SASL_PASSWORD_DIR);
                String expectedSecret = secretPrefix + principal;
                boolean mounted = Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of()).stream()
                        .filter(mount -> mount.getMountPath().equals(passwordDir))
                        .anyMatch(mount -> workload.template().getSpec().getVolumes().stream().anyMatch(volume ->
                                volume.getName().equals(mount.getName()) && volume.getSecret() != null
                                        && expectedSecret.equals(volume.getSecret().getSecretName())));
                if (!mounted) {
                    problems.add(workload + " does not mount Secret " + expectedSecret + " at " + KAFKA_SASL_PASSWORD_DIR + "=" + passwordDir);
                }
                Set<String> writable = new TreeSet<>();
                for (AclRule rule : ((KafkaUserAuthorizationSimple) user.getSpec().getAuthorization()).getAcls()) {
                    if (rule.getResource() instanceof AclRuleTopicResource topic && rule.getOperations().contains(AclOperation.WRITE)) {
                        writable.add(topic.getName());
                    }
                }
                Set<String> produced = new TreeSet<>(Deploy.service(Workload.moduleOf(container)).producedTopics());
                if (!produced.equals(writable)) {
                    problems.add("KafkaUser " + principal + " may write " + writable + ", but " + workload + " produces to " + produced);
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * The KafkaUsers are exactly contracts' {@link KafkaPrincipals}, the table the launcher's broker applies with
     * --tls-internal: the same principals, each allowed to write and read exactly its topics and to use its consumer
     * groups, nothing else (no other resource, operation or pattern), so local runs and Kubernetes cannot drift apart.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void theKafkaUsersAreExactlyTheContractsPrincipalsWithTheirAcls(String overlay) {
        RenderedOverlay rendered = kafkaOverlay(overlay);
        Map<String, KafkaUser> users = new TreeMap<>();
        rendered.all(KafkaUser.class).forEach(user -> users.put(user.getMetadata().getName(), user));
        List<String> problems = new ArrayList<>();
        Set<String> expectedNames = new TreeSet<>();
        for (KafkaPrincipals.Access access : KafkaPrincipals.ALL) {
            expectedNames.add(access.name());
            KafkaUser user = users.get(access.name());
            if (user == null || !(user.getSpec().getAuthorization() instanceof KafkaUserAuthorizationSimple authorization)) {
                problems.add("no KafkaUser " + access.name() + " with simple authorization");
                continue;
            }
            Set<String> expected = new TreeSet<>();
            access.writes().forEach(topic -> expected.add("topic " + topic + " literal Write"));
            access.reads().forEach(topic -> expected.add("topic " + topic + " literal Read"));
            if (access.groupPrefix() != null) {
                expected.add("group " + access.groupPrefix() + " prefix Read");
            }
            Set<String> actual = new TreeSet<>();
            for (AclRule rule : authorization.getAcls()) {
                String resource = rule.getResource() instanceof AclRuleTopicResource topic
                        ? "topic " + topic.getName() + " " + topic.getPatternType().toValue()
                        : rule.getResource() instanceof AclRuleGroupResource group
                        ? "group " + group.getName() + " " + group.getPatternType().toValue()
                        : rule.getResource().getType();
                if (rule.getType() != null && rule.getType() != AclRuleType.ALLOW || rule.getHost() != null && !rule.getHost().equals("*")) {
                    problems.add("KafkaUser " + access.name() + " has a rule that is not a plain allow from any host: " + resource);
                }
                rule.getOperations().forEach(operation -> actual.add(resource + " " + operation.toValue()));
            }
            if (!expected.equals(actual)) {
                problems.add("KafkaUser " + access.name() + " allows " + actual + ", KafkaPrincipals says " + expected);
            }
        }
        if (!users.keySet().equals(expectedNames)) {
            problems.add("KafkaUsers " + users.keySet() + ", KafkaPrincipals " + expectedNames);
        }
        Deploy.assertNone(overlay, problems);
    }

    /** No password in git: CloudNativePG generates the owner's and keeps it in Secret {@code <cluster>-app}. */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void jobServiceUsesThePrimaryAndTheCredentialsCloudNativePgGenerates(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<CnpgCluster> clusters = rendered.all(CnpgCluster.class);
        assumeFalse(clusters.isEmpty(), overlay + " has no CloudNativePG Cluster");
        String namespace = rendered.namespace().getMetadata().getName();
        List<String> problems = new ArrayList<>();
        for (Workload workload : rendered.workloadsRunning(DATABASE_MODULE)) {
            Container container = workload.containers().stream().filter(candidate -> DATABASE_MODULE.equals(Workload.moduleOf(candidate)))
                    .findFirst().orElseThrow();
            String url = String.valueOf(rendered.literalEnvironment(container).get(DATASOURCE_URL));
            List<Address> addresses = Address.in(url);
            Optional<CnpgCluster> cluster = clusters.stream().filter(candidate -> addresses.size() == 1
                    && CloudNativePg.primaryService(candidate.getMetadata().getName()).equals(addresses.get(0).serviceName(namespace))
                    && addresses.get(0).port() == CloudNativePg.POSTGRES_PORT).findFirst();
            if (cluster.isEmpty()) {
                problems.add(workload + " " + DATASOURCE_URL + "=" + url + " is not the primary's Service of a Cluster on " + CloudNativePg.POSTGRES_PORT);
                continue;
            }
            CnpgCluster.InitDb initdb = Optional.ofNullable(cluster.get().getSpec().bootstrap()).map(CnpgCluster.Bootstrap::initdb).orElse(null);
            if (initdb == null || initdb.database() == null || initdb.owner() == null) {
                problems.add("Cluster " + cluster.get().getMetadata().getName() + " names no database and owner in bootstrap.initdb");
            } else if (!url.endsWith("/" + initdb.database())) {
                problems.add(workload + " " + DATASOURCE_URL + "=" + url + " is not database " + initdb.database());
            }
            String secret = CloudNativePg.appSecret(cluster.get().getMetadata().getName());
            DATASOURCE_CREDENTIALS.forEach((variable, key) -> {
                Optional<SecretKeySelector> source = Objects.requireNonNullElse(container.getEnv(), List.<EnvVar>of()).stream()
                        .filter(env -> env.getName().equals(variable) && env.getValueFrom() != null)
                        .map(env -> env.getValueFrom().getSecretKeyRef()).filter(Objects::nonNull).findFirst();
                if (source.isEmpty() || !secret.equals(source.get().getName()) || !key.equals(source.get().getKey())) {
                    problems.add(workload + " " + variable + " is not key " + key + " of Secret " + secret);
                }
            });
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Strimzi's PodDisruptionBudget lets maxUnavailable nodes go at once: the controller quorum must outlive that, and
     * every partition keep min.insync.replicas (at least two: a write is never on one disk only) on the others.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void kafkaKeepsEveryWriteOnTwoNodesThroughANodeDrain(String overlay) {
        RenderedOverlay rendered = kafkaOverlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Kafka kafka : rendered.all(Kafka.class)) {
            String where = "Kafka " + kafka.getMetadata().getName() + ": ";
            List<KafkaNodePool> pools = Strimzi.pools(rendered, kafka);
            int brokers = pools.stream().filter(pool -> pool.getSpec().getRoles().contains(ProcessRoles.BROKER)).mapToInt(pool -> pool.getSpec().getReplicas()).sum();
            int controllers = pools.stream().filter(pool -> pool.getSpec().getRoles().contains(ProcessRoles.CONTROLLER)).mapToInt(pool -> pool.getSpec().getReplicas()).sum();
            int down = Strimzi.maxUnavailable(kafka);
            if (controllers - down <= controllers / 2) {
                problems.add(where + controllers + " controllers lose their quorum with " + down + " down");
            }
            Map<String, Object> config = Objects.requireNonNullElse(kafka.getSpec().getKafka().getConfig(), Map.of());
            int minInSync = intConfig(config, "min.insync.replicas", 1);
            if (minInSync < 2) {
                problems.add(where + "min.insync.replicas " + minInSync + " acknowledges a write on one node");
            }
            Map<String, Integer> replication = new TreeMap<>();
            replication.put("__consumer_offsets (offsets.topic.replication.factor)", intConfig(config, "offsets.topic.replication.factor", 3));
            int defaultReplicas = intConfig(config, "default.replication.factor", 1);
            for (KafkaTopic topic : rendered.all(KafkaTopic.class)) {
                if (kafka.getMetadata().getName().equals(Objects.requireNonNullElse(topic.getMetadata().getLabels(), Map.<String, String>of()).get(Strimzi.CLUSTER_LABEL))) {
                    replication.put(topicName(topic), Objects.requireNonNullElse(topic.getSpec().getReplicas(), defaultReplicas));
                }
            }
            replication.forEach((topic, replicas) -> {
                if (replicas > brokers) {
                    problems.add(where + topic + " wants " + replicas + " replicas of " + brokers + " brokers");
                } else if (replicas - down < minInSync) {
                    problems.add(where + topic + " has " + replicas + " replicas: with " + down + " down, fewer than min.insync.replicas " + minInSync);
                }
            });
        }
        Deploy.assertNone(overlay, problems);
    }

    /** A replica to fail over to on another node, and CloudNativePG's PodDisruptionBudgets, which keep the primary through a drain. */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void postgresKeepsAPrimaryThroughANodeDrainOrLoss(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<CnpgCluster> clusters = rendered.all(CnpgCluster.class);
        assumeFalse(clusters.isEmpty(), overlay + " has no CloudNativePG Cluster");
        List<String> problems = new ArrayList<>();
        for (CnpgCluster cluster : clusters) {
            String where = "Cluster " + cluster.getMetadata().getName() + ": ";
            CnpgCluster.Spec spec = cluster.getSpec();
            if (spec.instances() < 3) {
                problems.add(where + spec.instances() + " instances: a failover leaves no replica, a drain no standby");
            }
            if (Boolean.FALSE.equals(spec.enablePDB())) {
                problems.add(where + "enablePDB is false: a drain may take the primary");
            }
            Optional<CnpgCluster.Affinity> affinity = Optional.ofNullable(spec.affinity());
            if (affinity.map(CnpgCluster.Affinity::enablePodAntiAffinity).filter(Boolean.FALSE::equals).isPresent()
                    || !HOSTNAME.equals(affinity.map(CnpgCluster.Affinity::topologyKey).orElse(HOSTNAME))) {
                problems.add(where + "instances are not kept on different nodes (affinity " + spec.affinity() + ")");
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Strimzi's default (baseline) pod security provider leaves out what the restricted standard asks of a container,
     * so the resources' templates must say it for every container Strimzi runs for them. CloudNativePG's containers
     * comply by default (its docs, "Security") and {@link CnpgCluster} has no field that could change that.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void strimzisContainersAreAdmittedByTheRestrictedPodSecurityStandard(String overlay) {
        RenderedOverlay rendered = kafkaOverlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Kafka kafka : rendered.all(Kafka.class)) {
            String cluster = kafka.getMetadata().getName();
            if (kafka.getSpec().getKafka().getRack() != null) {
                problems.add("Kafka " + cluster + ": rack awareness adds an init container this check does not cover");
            }
            ContainerTemplate kafkaContainer = Optional.ofNullable(kafka.getSpec().getKafka().getTemplate())
                    .map(KafkaClusterTemplate::getKafkaContainer).orElse(null);
            for (KafkaNodePool pool : Strimzi.pools(rendered, kafka)) {
                ContainerTemplate own = Optional.ofNullable(pool.getSpec().getTemplate()).map(KafkaNodePoolTemplate::getKafkaContainer).orElse(null);
                restrictedProblems(own != null ? own : kafkaContainer)
                        .forEach(problem -> problems.add("the kafka containers of pool " + pool.getMetadata().getName() + ": " + problem));
            }
            EntityOperatorSpec entityOperator = kafka.getSpec().getEntityOperator();
            if (entityOperator != null && entityOperator.getTopicOperator() != null) {
                restrictedProblems(Optional.ofNullable(entityOperator.getTemplate()).map(EntityOperatorTemplate::getTopicOperatorContainer).orElse(null))
                        .forEach(problem -> problems.add("the topic operator of Kafka " + cluster + ": " + problem));
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void kafkaAndPostgresAreTheVersionsTheBuildTestsAgainst(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        assumeFalse(rendered.all(Kafka.class).isEmpty() && rendered.all(CnpgCluster.class).isEmpty(), overlay + " has no operator resources");
        String kafkaLine = line(Deploy.PROJECT.kafkaVersion());
        String postgresMajor = Deploy.PROJECT.postgresBinariesVersion().split("\\.")[0];
        List<String> problems = new ArrayList<>();
        for (Kafka kafka : rendered.all(Kafka.class)) {
            String version = kafka.getSpec().getKafka().getVersion();
            if (version == null || !line(version).equals(kafkaLine)) {
                problems.add("Kafka " + kafka.getMetadata().getName() + " runs Kafka " + version + ", the build tests against " + Deploy.PROJECT.kafkaVersion());
            }
        }
        for (CnpgCluster cluster : rendered.all(CnpgCluster.class)) {
            String image = cluster.getSpec().imageName();
            String tag = image == null ? null : ImageName.parse(image).tag();
            if (tag == null || !tag.split("[.\\-_]")[0].equals(postgresMajor)) {
                problems.add("Cluster " + cluster.getMetadata().getName() + " runs " + image + ", the build tests against PostgreSQL " + postgresMajor);
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /** The operator owns what it makes and would overwrite, or fight over, an object of the render with its name. */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#operatorOverlays")
    void noObjectOfTheRenderTakesTheNameOfOneAnOperatorMakes(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        Operands operands = rendered.operands;
        List<String> problems = new ArrayList<>();
        operands.services.forEach(service -> clash(rendered, Service.class, service.getMetadata().getName(), problems));
        operands.networkPolicies.forEach(policy -> clash(rendered, NetworkPolicy.class, policy.getMetadata().getName(), problems));
        operands.disruptionBudgets.forEach(budget -> clash(rendered, PodDisruptionBudget.class, budget.getMetadata().getName(), problems));
        operands.secrets.keySet().forEach(secret -> clash(rendered, Secret.class, secret, problems));
        Deploy.assertNone(overlay, problems);
    }

    private static RenderedOverlay kafkaOverlay(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        assumeFalse(rendered.all(Kafka.class).isEmpty(), overlay + " runs no Strimzi Kafka");
        return rendered;
    }

    /** A KafkaTopic makes the topic of its name unless spec.topicName says otherwise. */
    private static String topicName(KafkaTopic topic) {
        return Objects.requireNonNullElse(topic.getSpec().getTopicName(), topic.getMetadata().getName());
    }

    private static int intConfig(Map<String, Object> config, String key, int brokerDefault) {
        Object value = config.get(key);
        return value == null ? brokerDefault : Integer.parseInt(String.valueOf(value));
    }

    private static String line(String version) {
        String[] parts = version.split("\\.");
        return parts[0] + "." + parts[1];
    }

    /** What Pod Security Admission's restricted profile asks of every container's securityContext. */
    private static List<String> restrictedProblems(ContainerTemplate template) {
        SecurityContext context = template == null ? null : template.getSecurityContext();
        if (context == null) {
            return List.of("no securityContext in the template");
        }
        List<String> problems = new ArrayList<>();
        if (!Boolean.TRUE.equals(context.getRunAsNonRoot())) {
            problems.add("runAsNonRoot is not true");
        }
        if (!Boolean.FALSE.equals(context.getAllowPrivilegeEscalation())) {
            problems.add("allowPrivilegeEscalation is not false");
        }
        if (Boolean.TRUE.equals(context.getPrivileged())) {
            problems.add("privileged");
        }
        List<String> dropped = Optional.ofNullable(context.getCapabilities()).map(Capabilities::getDrop).orElse(List.of());
        List<String> added = Optional.ofNullable(context.getCapabilities()).map(Capabilities::getAdd).orElse(List.of());
        if (!dropped.contains("ALL") || added.stream().anyMatch(capability -> !capability.equals("NET_BIND_SERVICE"))) {
            problems.add("capabilities drop " + dropped + " and add " + added);
        }
        String seccomp = context.getSeccompProfile() == null ? null : context.getSeccompProfile().getType();
        if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
            problems.add("seccompProfile " + seccomp);
        }
        return problems;
    }

    private static void clash(RenderedOverlay rendered, Class<? extends HasMetadata> kind, String name,
            List<String> problems) {
        if (rendered.named(kind, name).isPresent()) {
            problems.add(kind.getSimpleName() + " " + name + " is made by an operator too");
        }
    }
}
