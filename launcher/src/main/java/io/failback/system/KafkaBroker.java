package io.failback.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import io.failback.contracts.messaging.KafkaPrincipals;
import io.failback.contracts.messaging.Topics;
import io.failback.system.security.KafkaCredentials;
import org.apache.kafka.common.Uuid;

/** A single-node KRaft Kafka broker (broker and controller in one JVM) in its own process. */
final class KafkaBroker extends ChildProcessComponent {

    static final String NAME = "kafka";
    /**
     * The partitions of each Failback topic this broker creates: as many instances of a consuming service as this
     * share the work (12 divides evenly among 1, 2, 3, 4 and 6); more would sit idle.
     */
    static final int PARTITIONS = 12;

    private final ProjectLayout layout;
    private final Path dataDir;
    private final Path workDir;
    private final int port;
    private final int controllerPort;
    /** The listener where the hosts log in by certificate; open only with {@link #security}. */
    private final int hostsPort;
    /** Null: PLAINTEXT without authentication, as by default locally. */
    private final KafkaSecurity security;

    KafkaBroker(ProjectLayout layout, Path dataDir, Path workDir, Path logFile, int port, int controllerPort, int hostsPort,
                KafkaSecurity security, ProcessListener listener) {
        super(NAME, logFile, listener);
        this.layout = layout;
        this.dataDir = dataDir;
        this.workDir = workDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.hostsPort = hostsPort;
        this.security = security;
    }

    /** The properties a client in this JVM needs besides the bootstrap servers to log in as {@code principal}. */
    Map<String, Object> clientProperties(String principal) {
        return security == null ? Map.of() : security.clientProperties(principal);
    }

    String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Where the hosts connect: their own listener when the broker is secured, else the one everybody uses. */
    String hostsBootstrapServers() {
        return security == null ? bootstrapServers() : "127.0.0.1:" + hostsPort;
    }

    @Override
    public String address() {
        return bootstrapServers();
    }

    @Override
    public void launch() throws IOException, InterruptedException {
        Path config = writeConfig();
        // As a service's log, it starts empty at the first launch and keeps earlier runs on a restart; the broker
        // always appends so that what formatting the storage wrote stays above its own output.
        if (!launchedBefore()) {
            Files.deleteIfExists(logFile());
        }
        formatStorageIfNew(config);
        startProcess(command("kafka.Kafka", config.toString()), Map.of(), workDir, true);
    }

    /**
     * Ready when the port accepts connections, the broker answers an admin request and Failback's topics exist with
     * {@link #PARTITIONS} partitions each.
     */
    @Override
    public void awaitReady(Instant deadline) throws InterruptedException {
        while (!FreePorts.isListening(port)) {
            failIfGoneOrLate(deadline);
            Thread.sleep(200);
        }
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        admin.putAll(clientProperties(KafkaAccess.ADMIN));
        try (Admin client = Admin.create(admin)) {
            while (true) {
                try {
                    client.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    createTopics(client);
                    if (security != null) {
                        // Creating a binding that exists changes nothing, so every start applies the current rules.
                        client.createAcls(KafkaAccess.bindings()).all().get(5, TimeUnit.SECONDS);
                    }
                    return;
                } catch (Exception notYet) {
                    failIfGoneOrLate(deadline);
                    Thread.sleep(200);
                }
            }
        }
    }

    /**
     * Creates the topics the services would otherwise create on first use with the broker's default count, so that
     * every instance gets partitions from the start; a topic of an older data directory with fewer partitions gets
     * more. That moves some items' keys to other partitions, harmless here: no service runs yet, and consumers
     * tolerate reordering.
     */
    private static void createTopics(Admin client) throws Exception {
        Map<String, TopicDescription> existing = client.describeTopics(client.listTopics().names().get(5, TimeUnit.SECONDS))
                .allTopicNames().get(5, TimeUnit.SECONDS);
        List<NewTopic> missing = new ArrayList<>();
        Map<String, NewPartitions> grown = new java.util.HashMap<>();
        for (String topic : Topics.ALL) {
            TopicDescription description = existing.get(topic);
            if (description == null) {
                missing.add(new NewTopic(topic, PARTITIONS, (short) 1));
            } else if (description.partitions().size() < PARTITIONS) {
                grown.put(topic, NewPartitions.increaseTo(PARTITIONS));
            }
        }
        if (!missing.isEmpty()) {
            client.createTopics(missing).all().get(5, TimeUnit.SECONDS);
        }
        if (!grown.isEmpty()) {
            client.createPartitions(grown).all().get(5, TimeUnit.SECONDS);
        }
    }

    private void failIfGoneOrLate(Instant deadline) {
        failIfExitedWhileStarting("Kafka");
        if (Instant.now().isAfter(deadline)) {
            throw new SystemStartException(LogTail.explain(
                    "Kafka did not become ready on " + bootstrapServers() + " in time.", logFile()));
        }
    }

    /** KRaft refuses to start on unformatted storage; formatting is once per data directory. */
    private void formatStorageIfNew(Path config) throws IOException, InterruptedException {
        Path securedMarker = dataDir.resolve("kafka-sasl-users");
        if (Files.exists(logDir().resolve("meta.properties"))) {
            if (security != null && !Files.exists(securedMarker)) {
                throw new SystemStartException("The Kafka storage in " + logDir() + " was made without --tls-internal and"
                        + " has none of its SCRAM users; remove " + dataDir + " to start anew with --tls-internal.");
            }
            return;
        }
        String clusterId = Uuid.randomUuid().toString();
        if (security != null) {
            formatWithScramUsers(config, clusterId);
            Files.writeString(securedMarker, "SCRAM users were added when this storage was formatted.\n");
            return;
        }
        ChildProcess.runToCompletion("kafka storage format",
                command("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config.toString()),
                workDir, logFile(), Duration.ofSeconds(60));
    }

    /**
     * SCRAM credentials live in the cluster's metadata; the broker's own (inter-broker) user must exist before it starts,
     * so every principal is added when the storage is formatted. That runs in this JVM, not as a child process, because
     * the passwords are arguments of the format command and must not appear on any process's command line.
     */
    private void formatWithScramUsers(Path config, String clusterId) throws IOException {
        List<String> arguments = new ArrayList<>(List.of("format", "-t", clusterId, "-c", config.toString()));
        for (String principal : KafkaAccess.SCRAM_PRINCIPALS) {
            arguments.add("--add-scram");
            arguments.add(KafkaSecurity.MECHANISM + "=[name=" + principal + ",password="
                    + security.credentials().password(principal) + "]");
        }
        Files.createDirectories(logFile().getParent());
        try (java.io.PrintStream out = new java.io.PrintStream(
                Files.newOutputStream(logFile(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND),
                true, java.nio.charset.StandardCharsets.UTF_8)) {
            int exit;
            try {
                exit = kafka.tools.StorageTool.execute(arguments.toArray(String[]::new), out);
            } catch (RuntimeException e) {
                throw new SystemStartException(LogTail.explain("Formatting the Kafka storage failed: " + e.getMessage(), logFile()));
            }
            if (exit != 0) {
                throw new SystemStartException(LogTail.explain("Formatting the Kafka storage failed (" + exit + ").", logFile()));
            }
        }
    }

    private List<String> command(String mainClass, String... args) {
        // 256 MiB holds the broker with the log cleaner's buffers sized in writeConfig(); raise them together.
        List<String> command = new ArrayList<>(List.of(ProjectLayout.javaExecutable(), "-Xmx256m"));
        command.addAll(QuarkusService.CONTROL_PLANE_JIT);
        command.addAll(List.of(
                // The broker logs through slf4j-simple; by default it stamps lines with milliseconds since start.
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS",
                "-cp", layout.launcherClasspath(), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    private Path logDir() {
        return dataDir.resolve("kafka");
    }

    /**
     * With security: the services and automation authenticate with SCRAM-SHA-512 over TLS; the hosts' listener takes
     * only certificates from the hosts CA, and the controller listener (the broker's own link to its controller, which
     * SCRAM cannot secure in KRaft) only mutual TLS. A certificate's subject names its principal by
     * {@link KafkaPrincipals#SSL_PRINCIPAL_MAPPING_RULES} (a host: host-agent; the broker: kafka). The broker and the
     * launcher's admin principal are the only super users; everything else needs an ACL.
     */
    private String securityConfig() {
        if (security == null) {
            return "# PLAINTEXT, no authentication: the default locally; --tls-internal secures it.";
        }
        Path keystore = dataDir.resolve("kafka-keystore.pem");
        try {
            // Kafka's PEM key store is one file with the private key and its certificate chain.
            KafkaCredentials.writeOwnerOnly(keystore, Files.readString(security.broker().privateKey())
                    + Files.readString(security.broker().certificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return String.join(System.lineSeparator(),
                "sasl.enabled.mechanisms=" + KafkaSecurity.MECHANISM,
                "sasl.mechanism.inter.broker.protocol=" + KafkaSecurity.MECHANISM,
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                        + KafkaSecurity.jaas(KafkaAccess.ADMIN, security.credentials().password(KafkaAccess.ADMIN)),
                "ssl.keystore.type=PEM",
                "ssl.keystore.location=" + keystore,
                "ssl.truststore.type=PEM",
                "ssl.truststore.location=" + security.broker().ca(),
                "listener.name.controller.ssl.client.auth=required",
                "listener.name.hosts.ssl.client.auth=required",
                // Only the hosts CA: a service's certificate is no host's, whatever its name.
                "listener.name.hosts.ssl.truststore.type=PEM",
                "listener.name.hosts.ssl.truststore.location=" + security.hostsCa(),
                "ssl.principal.mapping.rules=" + KafkaPrincipals.SSL_PRINCIPAL_MAPPING_RULES,
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found=false",
                "super.users=User:" + KafkaAccess.ADMIN + ";User:" + KafkaBroker.NAME);
    }

    /** Rewritten on every start so changed ports apply to existing storage. */
    private Path writeConfig() {
        String clientListener = security == null ? "PLAINTEXT" : "SASL_SSL";
        String hostsListener = security == null ? "" : ",HOSTS://127.0.0.1:" + hostsPort;
        String listeners = clientListener + "://127.0.0.1:" + port + hostsListener + ",CONTROLLER://127.0.0.1:" + controllerPort;
        String config = String.join(System.lineSeparator(),
                "# Written by the Failback launcher on every start; edits are overwritten.",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=" + listeners,
                "advertised.listeners=" + clientListener + "://127.0.0.1:" + port + hostsListener,
                "listener.security.protocol.map=" + (security == null ? "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
                        : "SASL_SSL:SASL_SSL,HOSTS:SSL,CONTROLLER:SSL"),
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=" + clientListener,
                securityConfig(),
                "log.dirs=" + logDir(),
                // One broker: every internal topic must make do with one replica.
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                // 50 partitions (the default) for internal topics only slow down the first consumer group here.
                "offsets.topic.num.partitions=4",
                "transaction.state.log.num.partitions=4",
                "num.partitions=" + PARTITIONS,
                "auto.create.topics.enable=true",
                // Consumers join at once instead of after the default 3 s.
                "group.initial.rebalance.delay.ms=0",
                // The log cleaner allocates its dedupe buffer (128 MiB by default) on the heap when it starts; with
                // its I/O buffers that took half of the 256 MiB heap and sometimes ended the broker with
                // OutOfMemoryError while it loaded its logs. No topic of ours is compacted, only Kafka's own
                // (consumer offsets, transaction state), which stay small here, so one thread with 8 MiB is ample.
                // The cleaner stays on: without it the compacted internal topics would only grow.
                "log.cleaner.threads=1",
                "log.cleaner.dedupe.buffer.size=" + (8 * 1024 * 1024),
                "log.cleaner.io.buffer.size=" + (256 * 1024),
                "");
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("kafka.properties");
            if (security == null) {
                Files.writeString(file, config);
            } else {
                // It holds the broker's own password (its JAAS configuration): owner only, like the password files.
                KafkaCredentials.writeOwnerOnly(file, config);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
