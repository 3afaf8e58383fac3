package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #16, item 2, on the real processes: hosts join with a one-time key the launcher makes for them through the
 * API, and are pinned to the key pair and the address they registered. A host-agent with a wrong or spent key is
 * refused and never becomes a provider; heartbeats forged on the real topic (unsigned, or signed with another key)
 * for a registered host change neither its address nor where a failback writes; a removed host's heartbeats are
 * refused and no failback may target it; the audit trail names each step.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostRegistrationIT {
    private static final long DISK_BYTES = 4L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HostAgent HOST_A = HostAgent.defaultHost();
    private static final HostAgent HOST_B = new HostAgent("host-b", "hyperv-b.contoso.local", "vSwitch-Prod");

    @RegisterExtension
    static final RunningSystem running = new RunningSystem("host-registration", system -> system.host(HOST_A).host(HOST_B));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    @Order(1)
    void hostAgentsWithAWrongOrASpentKeyAreRefusedAndNeverBecomeProviders() throws Exception {
        Path wrongKey = Files.writeString(system.workDir().resolve("wrong.key"), "fbr_" + "x".repeat(43));
        HostAgentRun wrong = startUnregisteredHostAgent("host-intruder", wrongKey);
        String wrongOutput = awaitExit(wrong, HostAgentExit.REFUSED);
        assertTrue(wrongOutput.contains("RegistrationKeyRefused"), wrongOutput);
        assertFalse(wrongOutput.contains("fbr_xxxx"), "the key is never written out");

        String spentKey = api.send("PUT", api.jobService().resolve("/api/hostRegistrationKeys/spent-in-test"), "{}", 201)
                .path("properties").path("key").asText();
        HttpResponse<String> first = registerDirectly("host-first-user", spentKey);
        assertEquals(201, first.statusCode(), first.body());
        HostAgentRun spent = startUnregisteredHostAgent("host-intruder", Files.writeString(system.workDir().resolve("spent.key"), spentKey));
        String spentOutput = awaitExit(spent, HostAgentExit.REFUSED);
        assertTrue(spentOutput.contains("is used"), spentOutput);

        assertEquals(404, api.exchange("GET", provider("host-intruder"), null).statusCode(), "a refused host is no provider");
        assertFalse(Files.exists(system.workDir().resolve("intruder").resolve("identity")), "a refused host gets no identity");
        assertEquals(204, api.exchange("DELETE", provider("host-first-user"), null).statusCode());
        // The launcher's keys were spent by the hosts' registrations and their files are gone.
        JsonNode keys = api.get(api.jobService().resolve("/api/hostRegistrationKeys"));
        for (HostAgent host : List.of(HOST_A, HOST_B)) {
            assertTrue(keys.path("value").findValuesAsText("usedByProvider").contains(host.id()), keys.toPrettyString());
            assertFalse(Files.exists(system.registrationKeyFile(host.id())));
            assertTrue(Files.isRegularFile(system.hostStorageDir(host.id()).resolve("identity/certificate.pem")));
        }
    }

    @Test
    @Order(2)
    void forgedHeartbeatsChangeNeitherTheHostsAddressNorWhereAFailbackWrites() throws Exception {
        api.awaitProviderConnected(HOST_A.id(), Duration.ofSeconds(60));
        api.awaitProviderConnected(HOST_B.id(), Duration.ofSeconds(60));
        String hostAUrl = system.hostAgentUrl(HOST_A.id()).toString();
        String hostBUrl = system.hostAgentUrl(HOST_B.id()).toString();
        double refusedBefore = refused("bad_signature");

        // Host A's heartbeat, newer than any, pointing at host B: once unsigned, once signed with a key of the forger's.
        byte[] forged = JSON.writeValueAsBytes(Map.of("schemaVersion", 1, "providerId", HOST_A.id(), "friendlyName", "forged",
                "baseUrl", hostBUrl, "virtualSwitches", List.of("vSwitch-Prod"), "sentAt", Instant.now().plusSeconds(30).toString()));
        publishHeartbeat(HOST_A.id(), forged, null);
        publishHeartbeat(HOST_A.id(), forged, sign(forged, newKeyPair()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> refused("bad_signature") >= refusedBefore + 2);
        JsonNode hostA = api.get(provider(HOST_A.id())).path("properties");
        assertEquals(hostAUrl, hostA.path("url").asText(), "the registered address stands");
        assertEquals(HOST_A.hostName(), hostA.path("friendlyName").asText());

        api.createAzureVm("vm-pinned", DISK_BYTES, 16L);
        api.registerItemInAzure("vm-pinned", HOST_A.id(), "vSwitch-Prod");
        String job = api.failbackWithFullDownload("vm-pinned", "CreateVmIfNotFound");
        assertEquals("Succeeded", api.awaitJobEnd(job, Duration.ofSeconds(120), update -> {
        }).path("properties").path("state").asText());
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, HOST_A, "vm-pinned", DISK_BYTES);
        assertEquals(404, api.exchange("GET", system.hostAgentUrl(HOST_B.id()).resolve("/api/vms/vm-pinned"), null).statusCode(),
                "nothing went to the host the forged heartbeats named");
    }

    @Test
    @Order(3)
    void aRemovedHostsHeartbeatsAreRefusedAndNoFailbackMayTargetIt() throws Exception {
        double notRegisteredBefore = refused("not_registered");
        HttpResponse<String> removal = api.exchange("DELETE", provider(HOST_B.id()), null);
        assertEquals(204, removal.statusCode(), removal.body());
        // Host B still runs and sends its signed heartbeats every 5 s: each one is refused now.
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> refused("not_registered") > notRegisteredBefore);
        assertEquals(404, api.exchange("GET", provider(HOST_B.id()), null).statusCode());

        api.createAzureVm("vm-to-removed", DISK_BYTES, 17L);
        api.registerItemInAzure("vm-to-removed", HOST_A.id(), "vSwitch-Prod");
        HttpResponse<String> failback = api.exchange("POST", api.jobService().resolve(
                "/api/replicationProtectedItems/vm-to-removed/plannedFailover"), """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                  "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForSynchronization",
                  "recoveryVmCreationOption": "CreateVmIfNotFound", "providerIdForAlternateRecovery": "host-b"}}}""");
        assertEquals(422, failback.statusCode(), failback.body());
        assertTrue(failback.body().contains("ProviderNotFound"), failback.body());
        assertEquals(404, api.exchange("GET", system.hostAgentUrl(HOST_B.id()).resolve("/api/vms/vm-to-removed"), null).statusCode());

        JsonNode audit = api.get(api.jobService().resolve("/api/auditRecords?$top=1000"));
        List<String> steps = new ArrayList<>();
        for (JsonNode record : audit.path("value")) {
            JsonNode p = record.path("properties");
            steps.add(p.path("method").asText() + " " + p.path("operation").asText() + " " + p.path("target").asText() + " "
                    + p.path("status").asText());
        }
        assertTrue(steps.stream().anyMatch(s -> s.matches("PUT create launcher-host-b-\\w+ 201")), "key creation audited: " + steps);
        assertTrue(steps.contains("PUT create host-b 201"), "registration audited: " + steps);
        assertTrue(steps.contains("DELETE delete host-b 204"), "removal audited: " + steps);
        assertTrue(steps.contains("PUT create host-intruder 403"), "refused registration audited: " + steps);
    }

    private static URI provider(String id) {
        return api.jobService().resolve("/api/replicationRecoveryServicesProviders/" + id);
    }

    private static double refused(String reason) {
        HttpResponse<String> answer = api.exchange("GET", api.jobService().resolve("/q/metrics"), null);
        assertEquals(200, answer.statusCode(), answer.body());
        return PrometheusText.value(answer.body(), "failback_heartbeats_refused_total", Map.of("reason", reason));
    }

    private static HttpResponse<String> registerDirectly(String providerId, String key) throws Exception {
        String body = JSON.writeValueAsString(Map.of("friendlyName", providerId, "advertisedUrl", "http://127.0.0.1:1/" + providerId,
                "virtualSwitches", List.of("vSwitch-Prod"),
                "publicKey", Base64.getEncoder().encodeToString(newKeyPair().getPublic().getEncoded())));
        return api.exchangeWithHeaders("PUT", provider(providerId), body, Map.of("X-Failback-Registration-Key", key));
    }

    /** What a host-agent's exit code says. */
    private enum HostAgentExit {
        REFUSED(78);
        final int code;

        HostAgentExit(int code) {
            this.code = code;
        }
    }

    /** A host-agent process and the file its output goes to. */
    private record HostAgentRun(Process process, Path output) {
    }

    /** A host-agent process of its own, outside the launcher, that must register with {@code keyFile}. */
    private static HostAgentRun startUnregisteredHostAgent(String providerId, Path keyFile) throws Exception {
        Path storage = Files.createDirectories(system.workDir().resolve("intruder"));
        File output = File.createTempFile("intruder", ".log", system.logDir().toFile());
        ProcessBuilder builder = new ProcessBuilder(ProjectLayout.javaExecutable(), "-Xmx128m", "-jar",
                ProjectLayout.find().serviceJar(ProjectLayout.HOST_AGENT).toString())
                .redirectErrorStream(true).redirectOutput(output);
        builder.environment().putAll(Map.of(
                "HOST_AGENT_PROVIDER_ID", providerId,
                "HOST_AGENT_STORAGE_DIR", storage.toString(),
                "HOST_AGENT_ADVERTISED_URL", "http://127.0.0.1:1",
                "HOST_AGENT_REGISTRATION_KEY_FILE", keyFile.toString(),
                "HOST_AGENT_JOB_SERVICE_URL", api.jobService().toString(),
                "HOST_AGENT_JOB_SERVICE_CA_FILE", system.jobServiceTls().trustAnchors().toString(),
                "KAFKA_BOOTSTRAP_SERVERS", system.kafkaBootstrapServers(),
                "QUARKUS_HTTP_PORT", "0"));
        return new HostAgentRun(builder.start(), output.toPath());
    }

    private static String awaitExit(HostAgentRun run, HostAgentExit expected) throws Exception {
        Process process = run.process();
        boolean ended = process.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(run.output());
        assertTrue(ended, "the host-agent should stop when its registration is refused");
        assertEquals(expected.code, process.exitValue(), output);
        return output;
    }

    private static void publishHeartbeat(String key, byte[] value, String signature) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, system.kafkaBootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>("asr.provider-heartbeats", key, value);
            if (signature != null) {
                record.headers().add("failback-signature", signature.getBytes(StandardCharsets.US_ASCII));
            }
            producer.send(record).get();
        }
    }

    /** As docs/contracts.md describes the signature (v1): ECDSA P-256 over the value bytes, DER, Base64, "v1:" first. */
    private static String sign(byte[] value, KeyPair keys) throws Exception {
        Signature signature = Signature.getInstance("SHA256withECDSA");
        signature.initSign(keys.getPrivate());
        signature.update(value);
        return "v1:" + Base64.getEncoder().encodeToString(signature.sign());
    }

    private static KeyPair newKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }
}
