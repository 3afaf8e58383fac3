package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failback from a cloud that encrypts data (the seed's "Encryption Key" step), on real processes: blocks leave Azure
 * sealed; the failback must name the right certificate and the host must hold it, or the job fails before anything
 * is shut down or written.
 */
class EncryptedFailbackIT {
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("encrypted");
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;
    private static String certificateId;

    @BeforeAll
    static void enableEncryptionInAzure() {
        certificateId = api.send("POST", system.azureSimUrl().resolve("/api/encryption/enable"), "", 200).path("certificateId").asText();
        api.awaitProviderConnected(system.hosts().get(0).id(), Duration.ofSeconds(60));
    }

    private static String failback(String item, String keyId) {
        return api.send("POST", system.jobServiceUrl().resolve("/api/replicationProtectedItems/" + item + "/plannedFailover"), """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                  "dataSyncOption": "ForSynchronization", "recoveryVmCreationOption": "CreateVmIfNotFound",
                  "encryptionKeyId": "%s"}}}""".formatted(keyId), 202).path("name").asText();
    }

    private static void assertFailedBeforeTouchingAnything(String job, String errorCode, String vm) {
        JsonNode ended = api.awaitJobEnd(job, Duration.ofSeconds(60), update -> {
        }).path("properties");
        assertEquals("Failed", ended.path("state").asText(), ended.toPrettyString());
        assertEquals(errorCode, ended.path("errors").get(0).path("errorCode").asText());
        assertEquals("Running", api.get(system.azureSimUrl().resolve("/api/vms/" + vm)).path("state").asText(), "Azure untouched");
        assertEquals(404, api.exchange("GET", system.hostAgentUrl(system.hosts().get(0).id()).resolve("/api/vms/" + vm), null)
                .statusCode(), "nothing created or written on the host");
    }

    @Test
    void onlyTheRightKeyOnAHostThatHoldsItFailsBackAndBlocksTravelSealed() throws Exception {
        HostAgent host = system.hosts().get(0);
        URI hostUrl = system.hostAgentUrl(host.id());
        api.createAzureVm("vm-enc", 16L << 20, 12);
        api.registerItemInAzure("vm-enc", host.id(), host.virtualSwitches().get(0));

        assertFailedBeforeTouchingAnything(failback("vm-enc", "0123456789ABCDEF0123456789ABCDEF01234567"), "EncryptionKeyMismatch", "vm-enc");
        assertFailedBeforeTouchingAnything(failback("vm-enc", certificateId), "CertificateNotInstalled", "vm-enc");

        // Blocks leave Azure sealed: the stream's flags say so and no block is readable in it.
        HttpResponse<byte[]> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                system.azureSimUrl().resolve("/api/vms/vm-enc/disks/disk-0/blocks?count=4")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(1, ByteBuffer.wrap(stream.body()).getShort(6), "the SEALED flag of the block stream");

        JsonNode certificate = api.get(system.azureSimUrl().resolve("/api/encryption/certificate"));
        api.send("POST", hostUrl.resolve("/api/host/certificates"), """
                {"certificateId": "%s", "keyBase64": "%s"}""".formatted(certificateId, certificate.path("keyBase64").asText()), 200);

        JsonNode done = api.awaitJobEnd(failback("vm-enc", certificateId), Duration.ofSeconds(120), update -> {
        }).path("properties");
        assertEquals("Succeeded", done.path("state").asText(), done.toPrettyString());
        String azureDigest = SystemTests.diskDigest(system.azureStorageDir().resolve("vms/vm-enc/disk-0.img"));
        assertEquals(azureDigest, done.path("customDetails").path("verifications").get(0).path("targetDigest").asText(),
                "the host opened every sealed block into exactly the Azure disk's bytes");
    }
}
