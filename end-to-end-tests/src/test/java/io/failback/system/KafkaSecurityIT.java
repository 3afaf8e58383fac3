package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import io.failback.system.security.ServiceIdentity;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #16, item 3, on the real processes with {@code tlsInternal(true)}: the launcher's broker takes only SCRAM
 * principals over TLS from the services and automation, and only certificates from the hosts CA on the hosts'
 * listener (the way the dev overlay's broker takes every client), lets each principal do only its part
 * ({@link KafkaAccess}), the services still do their work through it, and no Kafka password is in a log, a command
 * line or an environment.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaSecurityIT {
    private static final long DISK_BYTES = 8L << 20;
    private static final Pattern JAAS_PASSWORD = Pattern.compile("password=\"([^\"]+)\"");

    @RegisterExtension
    static final RunningSystem running = new RunningSystem("kafka-security", system -> system.tlsInternal(true));
    // Set by running before any test.
    private static LocalSystem system;
    private static FailbackApi api;

    /**
     * First, so that every later test runs on a broker that was restarted: it comes back on its formatted storage with
     * the same users and rules (the launcher applies the ACLs again at every start), and the services carry on.
     */
    @Test
    @Order(1)
    void theSecuredBrokerComesBackWithItsUsersAndRulesAfterARestart() {
        system.stopService(LocalSystem.KAFKA);
        system.startService(LocalSystem.KAFKA);

        Map<String, Object> consumerConfig = new HashMap<>(system.kafkaClientProperties(KafkaAccess.AUTOMATION));
        consumerConfig.putAll(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, system.kafkaBootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
            TopicPartition stateChanges = new TopicPartition("asr.state-changes", 0);
            consumer.assign(List.of(stateChanges));
            consumer.poll(Duration.ofSeconds(2));
            assertTrue(consumer.position(stateChanges, Duration.ofSeconds(10)) >= 0, "automation logs in and reads state changes");
        }
        Exception command = assertThrows(Exception.class, () -> produce(hostCertificate(), "asr.sync-commands"));
        assertTrue(causedBy(command, TopicAuthorizationException.class), "the rules hold after the restart: " + command);
    }

    @Test
    void aClientWithoutCredentialsOrWithAWrongPasswordCannotProduce() {
        // PLAINTEXT to the SASL_SSL port: the broker waits for a TLS handshake that never comes, so no metadata either.
        Exception plaintext = assertThrows(Exception.class, () -> produce(Map.of(), "asr.provider-heartbeats"));
        assertTrue(causedBy(plaintext, TimeoutException.class), "an unauthenticated producer gets nowhere: " + plaintext);

        Map<String, Object> wrongPassword = new HashMap<>(system.kafkaClientProperties(KafkaAccess.AUTOMATION));
        wrongPassword.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"automation\" password=\"not-the-password\";");
        Exception refused = assertThrows(Exception.class, () -> produce(wrongPassword, "asr.provider-heartbeats"));
        assertTrue(causedBy(refused, SaslAuthenticationException.class), "a wrong password is refused: " + refused);
    }

    /**
     * The hosts' listener knows a client only by a certificate from the hosts CA: none, or one the services' CA signed
     * (sync-service's own, valid everywhere else), gets no connection, so no name on it can pass for a host.
     */
    @Test
    void theHostsListenerTakesOnlyAHostsCertificate(@TempDir Path dir) throws IOException {
        Map<String, Object> noCertificate = new HashMap<>(hostCertificate());
        noCertificate.remove("ssl.keystore.location");
        noCertificate.remove("ssl.keystore.type");
        Exception anonymous = assertThrows(Exception.class, () -> produce(noCertificate, "asr.provider-heartbeats"));
        assertTrue(causedBy(anonymous, SslAuthenticationException.class),
                "a client without a certificate gets nowhere: " + anonymous);

        ServiceIdentity syncService = system.internalTls().orElseThrow().identity(LocalSystem.SYNC_SERVICE);
        Path keyStore = dir.resolve("sync-service-keystore.pem");
        Files.writeString(keyStore, Files.readString(syncService.privateKey()) + Files.readString(syncService.certificate()));
        Exception service = assertThrows(Exception.class,
                () -> produce(system.kafkaCertificateClientProperties(keyStore), "asr.provider-heartbeats"));
        assertTrue(causedBy(service, SslAuthenticationException.class),
                "a service's certificate is no host's: " + service);
    }

    @Test
    void theHostAgentPrincipalMayNeitherSendCommandsNorReadJobEvents() {
        Map<String, Object> hostAgent = hostCertificate();
        Exception command = assertThrows(Exception.class, () -> produce(hostAgent, "asr.sync-commands"));
        assertTrue(causedBy(command, TopicAuthorizationException.class), "host-agent may not command: " + command);

        Map<String, Object> consumerConfig = new HashMap<>(hostAgent);
        consumerConfig.putAll(Map.of(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
            // Assigned, without a consumer group: what is refused is reading the topic itself.
            consumer.assign(List.of(new TopicPartition("asr.sync-events", 0)));
            consumer.seekToBeginning(consumer.assignment());
            Exception events = assertThrows(Exception.class, () -> consumer.poll(Duration.ofSeconds(10)));
            assertTrue(causedBy(events, TopicAuthorizationException.class), "host-agent may not read job events: " + events);
        }
    }

    /**
     * Heartbeats say where a host's data goes, so only the host-agent principal may publish them: a record on the right
     * topic from any other principal is refused by the broker before job-service could see it.
     */
    @Test
    void noPrincipalButTheHostAgentsMayPublishAHeartbeat() {
        for (String principal : List.of(KafkaAccess.AUTOMATION, KafkaAccess.SYNC_SERVICE, KafkaAccess.JOB_SERVICE)) {
            Exception forged = assertThrows(Exception.class,
                    () -> produce(system.kafkaClientProperties(principal), "asr.provider-heartbeats"));
            assertTrue(causedBy(forged, TopicAuthorizationException.class), principal + " may not publish heartbeats: " + forged);
        }
    }

    /**
     * A failback over SASL_SSL: job-service commands through its outbox, sync-service runs and reports, the host
     * heartbeats, and an automation client follows the job on asr.state-changes and commits it on asr.operations.
     */
    @Test
    void aFailbackRunsToSucceededWithEveryServiceOnTheSecuredBroker() throws Exception {
        HostAgent host = system.hosts().get(0);
        String vm = "vm-sasl";
        api.createAzureVm(vm, DISK_BYTES, 160L);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
        Path azureDisk = system.azureStorageDir().resolve("vms/" + vm + "/disk-0.img");

        try (KafkaAutomation automation = new KafkaAutomation(system.kafkaBootstrapServers(),
                system.kafkaClientProperties(KafkaAccess.AUTOMATION))) {
            String jobName = api.failbackWithFullDownload(vm, "CreateVmIfNotFound");
            JsonNode job = automation.awaitSucceeded(jobName, Duration.ofSeconds(120));
            JsonNode verification = job.path("customDetails").path("verifications").get(0);
            String azureDigest = SystemTests.diskDigest(azureDisk);
            assertEquals(azureDigest, verification.path("sourceDigest").asText(), job.toPrettyString());
            assertEquals(azureDigest, verification.path("targetDigest").asText(), "the host holds the Azure disk's bytes");
            assertEquals("Succeeded", SystemTests.succeeded(api, jobName).path("state").asText());

            automation.awaitSucceeded(automation.request("FailoverCommit", vm, null), Duration.ofSeconds(60));
            automation.awaitItem(vm, "FailoverCompleted", Duration.ofSeconds(30));
        }
        assertFalse(Files.exists(azureDisk), "the commit requested over Kafka deleted the Azure disk");
    }

    /**
     * Item 4: the passwords reach the processes as files only (mode 600), so they are in no service's or the broker's
     * log, and in no process's command line or environment on this machine. Last, so that it reads every log.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void noKafkaPasswordIsInALogACommandLineOrAnEnvironment() throws IOException {
        List<String> passwords = new ArrayList<>();
        for (String principal : KafkaAccess.SCRAM_PRINCIPALS) {
            Matcher password = JAAS_PASSWORD.matcher((String) system.kafkaClientProperties(principal).get("sasl.jaas.config"));
            assertTrue(password.find());
            passwords.add(password.group(1));
        }
        try (Stream<Path> logs = Files.walk(system.logDir())) {
            for (Path log : logs.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(log, StandardCharsets.ISO_8859_1);
                for (String password : passwords) {
                    assertFalse(text.contains(password), log + " holds a Kafka password");
                }
            }
        }
        Path proc = Path.of("/proc");
        if (Files.isDirectory(proc)) {
            try (Stream<Path> processes = Files.list(proc)) {
                for (Path process : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    for (String part : List.of("cmdline", "environ")) {
                        String text = readIfStillThere(process.resolve(part));
                        for (String password : passwords) {
                            assertFalse(text.contains(password), process.resolve(part) + " holds a Kafka password");
                        }
                    }
                }
            }
        }
        Path credentials = system.workDir().resolve("data/kafka-credentials");
        try (Stream<Path> files = Files.walk(credentials)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
            }
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                system.workDir().resolve("data/kafka.properties"))), "the broker's configuration holds its own password");
    }

    /** How host-a logs in: on the hosts' listener, with the identity it got when it registered. */
    private static Map<String, Object> hostCertificate() {
        HostAgent host = system.hosts().get(0);
        return system.kafkaCertificateClientProperties(
                system.hostStorageDir(host.id()).resolve("identity").resolve("kafka-keystore.pem"));
    }

    /** Sends one record with {@code security}, to the bootstrap servers it names or else the services' listener. */
    private static void produce(Map<String, Object> security, String topic) throws Exception {
        Map<String, Object> config = new HashMap<>(security);
        config.putIfAbsent(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, system.kafkaBootstrapServers());
        config.putAll(Map.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 8_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            producer.send(new ProducerRecord<>(topic, "forged", "{}")).get();
        }
    }

    private static boolean causedBy(Throwable thrown, Class<? extends Throwable> type) {
        for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    private static String readIfStillThere(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException ended) {
            return "";
        }
    }
}
