package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.tls.PinnedPeer;
import io.failback.system.security.InternalTls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS between services (issue #16) on the real processes, with {@code tlsInternal(true)}: the sites serve HTTPS only,
 * answer their API only to the identities allowed there, and a whole failback still moves the Azure disk's bytes.
 * Every refusal is checked against a control: the same request by an identity that may make it succeeds, so a refusal
 * is the policy's, not a malformed request's.
 */
class InternalTlsIT {
    private static final long DISK_BYTES = 64L << 20;
    /** The disks the refusals are tried on: small, they only need to be real. */
    private static final long SMALL_DISK_BYTES = 4L << 20;

    @RegisterExtension
    static final RunningSystem running = new RunningSystem("internal-tls", system -> system.tlsInternal(true));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void aFullDownloadFailbackCrossesMutualTlsAndLeavesTheAzureDiskBytesOnPremises() throws Exception {
        HostAgent host = system.hosts().get(0);
        assertEquals("https", system.azureSimUrl().getScheme());
        assertEquals("https", system.hostAgentUrl(host.id()).getScheme());
        api.createAzureVm("vm-tls", DISK_BYTES, 20261206L);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure("vm-tls", host.id(), host.virtualSwitches().get(0));

        JsonNode job = SystemTests.succeeded(api, api.failbackWithFullDownload("vm-tls", "CreateVmIfNotFound"));

        String azureDigest = SystemTests.diskDigest(system.azureStorageDir().resolve("vms/vm-tls/disk-0.img"));
        JsonNode verification = job.path("customDetails").path("verifications").get(0);
        assertEquals(azureDigest, verification.path("sourceDigest").asText());
        assertEquals(azureDigest, verification.path("targetDigest").asText());
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, "vm-tls", DISK_BYTES);
    }

    @Test
    void aClientWithoutAnAllowedCertificateGetsNoBlockFromAzureAndWritesNoBlockToAHost() throws Exception {
        InternalTls tls = system.internalTls().orElseThrow();
        HostAgent host = system.hosts().get(0);
        HttpClient anonymous = client(tls.clientContext(null, tls.internalCa(), tls.hostsCa()));
        HttpClient jobService = client(tls.clientContext(LocalSystem.JOB_SERVICE, tls.internalCa(), tls.hostsCa()));
        HttpClient launcher = client(tls.clientContext(InternalTls.LAUNCHER, tls.internalCa(), tls.hostsCa()));

        api.createAzureVm("vm-source", SMALL_DISK_BYTES, 7L);
        URI azureVm = system.azureSimUrl().resolve("/api/vms/vm-source");
        URI azureBlocks = URI.create(azureVm + "/disks/disk-0/blocks");
        // Probes and Prometheus need no certificate.
        assertEquals(200, get(anonymous, system.azureSimUrl().resolve("/q/health/ready")).statusCode());
        assertEquals(200, get(anonymous, system.hostAgentUrl(host.id()).resolve("/q/health/ready")).statusCode());

        HttpResponse<byte[]> noCertificate = get(anonymous, azureBlocks);
        assertEquals(401, noCertificate.statusCode(), "azure-sim's block API without a certificate");
        assertNoBlockStream(noCertificate);
        HttpResponse<byte[]> asJobService = get(jobService, azureBlocks);
        assertEquals(403, asJobService.statusCode(), "job-service may read a VM in Azure, not its disk");
        assertNoBlockStream(asJobService);
        assertEquals(200, get(jobService, azureVm).statusCode(), "job-service reads the Azure VM (AzureVms)");
        assertEquals(200, get(jobService, URI.create(azureVm + "/metrics")).statusCode(), "and its metrics");
        assertEquals(403, send(jobService, "POST", URI.create(azureVm + "/shutdown"), new byte[0], "application/json").statusCode(),
                "but changes nothing in Azure");
        // Shut down, the VM writes no more: its file then holds what the stream carries.
        api.send("POST", URI.create(azureVm + "/shutdown"), "", 200);
        HttpResponse<byte[]> stream = get(launcher, azureBlocks);
        assertEquals(200, stream.statusCode(), "the control: an allowed identity gets the disk's blocks");

        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/vm-target");
        api.send("PUT", hostVm, """
                {"disks": [{"diskId": "disk-0", "sizeBytes": %d, "blockSize": 65536}], "virtualSwitchName": "%s", "contentSeed": 8}"""
                .formatted(SMALL_DISK_BYTES, host.virtualSwitches().get(0)), 201);
        Path targetDisk = system.hostStorageDir(host.id()).resolve("vms/vm-target/disk-0.img");
        String before = SystemTests.diskDigest(targetDisk);
        String azureDigest = SystemTests.diskDigest(system.azureStorageDir().resolve("vms/vm-source/disk-0.img"));
        assertNotEquals(azureDigest, before);
        URI hostBlocks = URI.create(hostVm + "/disks/disk-0/blocks?fullCopy=true");
        String mediaType = stream.headers().firstValue("Content-Type").orElse(BlockStreamFormat.MEDIA_TYPE);

        assertEquals(401, send(anonymous, "POST", hostBlocks, stream.body(), mediaType).statusCode(), "a write without a certificate");
        assertEquals(before, SystemTests.diskDigest(targetDisk), "the host's disk is unchanged");
        assertEquals(403, send(jobService, "POST", hostBlocks, stream.body(), mediaType).statusCode(), "a write as job-service");
        assertEquals(before, SystemTests.diskDigest(targetDisk), "the host's disk is unchanged");
        assertEquals(403, get(jobService, URI.create(hostVm + "/disks/disk-0/blocks")).statusCode(), "job-service reads no host disk");
        assertEquals(403, send(jobService, "POST", system.hostAgentUrl(host.id()).resolve("/api/host/certificates"),
                "{}".getBytes(), "application/json").statusCode(), "nor hands a host a key");
        assertEquals(200, get(jobService, system.hostAgentUrl(host.id()).resolve("/api/vms")).statusCode(),
                "job-service lists the host's VMs (OnPremisesVmLocator)");
        assertEquals(200, get(jobService, hostVm).statusCode(), "and reads one");
        // job-service itself lists it, over its pinned client (ARM's protectable items ask every connected host).
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        JsonNode protectable = api.get(system.jobServiceUrl().resolve("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dr"
                + "/providers/Microsoft.RecoveryServices/vaults/vault/replicationFabrics/hyperv-site/replicationProtectionContainers/"
                + "hyperv-site-container/replicationProtectableItems?api-version=2023-06-01"));
        assertTrue(protectable.toString().contains("vm-target"), "job-service read the host's VMs over TLS: " + protectable);

        HttpResponse<byte[]> allowed = send(launcher, "POST", hostBlocks, stream.body(), mediaType);
        assertEquals(200, allowed.statusCode(), "the control: the same stream by an allowed identity is written: " + new String(allowed.body()));
        assertEquals(azureDigest, SystemTests.diskDigest(targetDisk), "the control wrote the Azure disk's bytes");
    }

    @Test
    void aSiteAnswersNoPlainHttp() throws InterruptedException {
        HostAgent host = system.hosts().get(0);
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (URI site : new URI[] {system.azureSimUrl(), system.hostAgentUrl(host.id())}) {
            URI plainUrl = URI.create("http://" + site.getRawAuthority() + "/api/vms");
            try {
                HttpResponse<byte[]> answer = get(plain, plainUrl);
                assertNotEquals(200, answer.statusCode(), plainUrl + " answered in plain HTTP");
            } catch (IOException refused) {
                // the TLS listener drops a connection that does not speak TLS
            }
        }
    }

    /** The pin sync-service and job-service use: a host is trusted only as the provider its certificate names. */
    @Test
    void aHostIsTrustedOnlyAsTheProviderItsCertificateNames() throws Exception {
        InternalTls tls = system.internalTls().orElseThrow();
        HostAgent host = system.hosts().get(0);
        URI health = system.hostAgentUrl(host.id()).resolve("/q/health/ready");
        assertEquals(200, get(client(pinnedTo(tls.hostsCa(), host.id())), health).statusCode());
        IOException refused = assertThrows(IOException.class, () -> get(client(pinnedTo(tls.hostsCa(), "host-elsewhere")), health));
        assertTrue(refused instanceof SSLHandshakeException || refused.getCause() instanceof SSLHandshakeException, refused.toString());
        assertThrows(IOException.class, () -> get(client(pinnedTo(tls.internalCa(), LocalSystem.AZURE_SIM)), health),
                "azure-sim's pin does not accept a host");
    }

    private static SSLContext pinnedTo(Path ca, String identity) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {PinnedPeer.of(ca, identity)}, null);
        return context;
    }

    private static void assertNoBlockStream(HttpResponse<byte[]> answer) {
        String type = answer.headers().firstValue("Content-Type").orElse("");
        assertFalse(type.startsWith("application/vnd.failback.block-stream"), "a block stream came back: " + type);
        assertTrue(answer.body().length < 4096, "no disk content came back: " + answer.body().length + " bytes");
    }

    private static HttpClient client(SSLContext context) {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).sslContext(context).build();
    }

    private static HttpResponse<byte[]> get(HttpClient client, URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Accept", BlockStreamFormat.MEDIA_TYPE + ", application/json").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> send(HttpClient client, String method, URI uri, byte[] body, String contentType)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
