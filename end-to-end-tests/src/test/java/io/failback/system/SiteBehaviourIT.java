package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The simulated sites as failback meets them, on real processes: alternate hosts with and without the VM's
 * virtual switch, a disk left inconsistent that must not boot (also after the agent restarts), and a host that stops
 * sending heartbeats.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SiteBehaviourIT {
    private static final HostAgent ORIGINAL = new HostAgent("host-a", "hyperv-a.contoso.local", "vSwitch-Prod");
    private static final HostAgent NEW_HARDWARE = new HostAgent("host-b", "hyperv-b.contoso.local", "vSwitch-Lab", "vSwitch-Prod");
    private static final HostAgent WRONG_SWITCH = new HostAgent("host-c", "hyperv-c.contoso.local", "vSwitch-Lab");
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("sites", builder -> builder.host(ORIGINAL).host(NEW_HARDWARE).host(WRONG_SWITCH)
            .environment(LocalSystem.JOB_SERVICE, "FAILBACK_PROVIDER_HEARTBEAT_TIMEOUT", "6s"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @BeforeAll
    static void awaitEveryHostConnected() {
        for (HostAgent host : system.hosts()) {
            api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        }
    }

    @Test
    void failbackToNewHardwareCreatesTheVmOnTheSwitchOfTheSameNameWritingAsTheAzureVmDid() {
        api.createAzureVm("vm-alt", 8L << 20, 5);
        // Not the host's default (RandomSmall, 50 writes/s): the created VM must take the Azure VM's own.
        String guest = """
                {"pattern": "HotSpot", "writesPerSecond": 9, "writeSizeBytes": 8192, "seed": 17}""";
        api.send("PUT", system.azureSimUrl().resolve("/api/vms/vm-alt/workload"), guest, 200);
        api.registerItemInAzure("vm-alt", ORIGINAL.id(), "vSwitch-Prod");

        JsonNode job = api.awaitJobEnd(api.failbackWithFullDownload("vm-alt", "CreateVmIfNotFound", NEW_HARDWARE.id()),
                Duration.ofSeconds(120), update -> {
                });

        assertEquals("Succeeded", job.path("properties").path("state").asText(), job.toPrettyString());
        JsonNode vm = api.get(system.hostAgentUrl(NEW_HARDWARE.id()).resolve("/api/vms/vm-alt"));
        assertEquals("vSwitch-Prod", vm.path("virtualSwitchName").asText());
        assertEquals("Running", vm.path("state").asText());
        assertEquals(FailbackApi.json(guest), vm.path("workload"), "the same guest runs on: " + vm.path("workload"));
        assertEquals(NEW_HARDWARE.id(), api.item("vm-alt").path("properties").path("primaryProviderId").asText());
        assertEquals(404, api.exchange("GET", system.hostAgentUrl(ORIGINAL.id()).resolve("/api/vms/vm-alt"), null).statusCode());
    }

    @Test
    void failbackToAHostWithoutTheSwitchFailsClearlyAndLeavesTheVmInAzure() {
        api.createAzureVm("vm-noswitch", 4L << 20, 6);
        api.registerItemInAzure("vm-noswitch", ORIGINAL.id(), "vSwitch-Prod");

        JsonNode job = api.awaitJobEnd(api.failbackWithFullDownload("vm-noswitch", "CreateVmIfNotFound", WRONG_SWITCH.id()),
                Duration.ofSeconds(120), update -> {
                });

        JsonNode properties = job.path("properties");
        assertEquals("Failed", properties.path("state").asText());
        assertEquals("VirtualSwitchNotFound", properties.path("errors").get(0).path("errorCode").asText());
        assertTrue(properties.path("errors").get(0).path("message").asText().contains("vSwitch-Prod"),
                properties.path("errors").get(0).toString());
        JsonNode item = api.item("vm-noswitch").path("properties");
        assertEquals("Recovery", item.path("activeLocation").asText());
        assertEquals("PlannedFailover", item.path("allowedOperations").get(0).asText(), "failback can be triggered again");
    }

    @Test
    void aVmWithAnInconsistentDiskRefusesToStartAlsoAfterTheAgentRestarts() {
        URI vm = system.hostAgentUrl(ORIGINAL.id()).resolve("/api/vms/vm-halfcopied");
        api.send("PUT", vm, """
                {"disks": [{"diskId": "disk-0", "sizeBytes": 4194304, "blockSize": 65536}], "virtualSwitchName": "vSwitch-Prod"}""", 201);
        // A new disk is consistent once verified against its source: here an all-zero one. Then the VM boots.
        String zeros = api.get(URI.create(vm + "/disks/disk-0/digest")).path("digest").asText();
        api.send("POST", URI.create(vm + "/disks/disk-0/verify"), "{\"algorithm\": \"" + io.failback.testing.ReferenceDigest.ALGORITHM + "\", \"digest\": \"" + zeros + "\"}", 200);
        api.send("POST", URI.create(vm + "/start"), "", 200);
        api.send("POST", URI.create(vm + "/stop"), "", 200);
        // A synchronization that starts writing and never finishes: the disk is marked before the first byte lands.
        HttpResponse<String> interrupted = api.exchange("POST", URI.create(vm + "/disks/disk-0/blocks?fullCopy=true"), "not a block stream");
        assertEquals(422, interrupted.statusCode(), interrupted.body());

        assertStartRefused(vm);
        system.stopService(ORIGINAL.serviceName());
        system.startService(ORIGINAL.serviceName());
        assertStartRefused(vm);
    }

    private static void assertStartRefused(URI vm) {
        HttpResponse<String> refused = api.exchange("POST", URI.create(vm + "/start"), "");
        assertEquals(409, refused.statusCode(), refused.body());
        JsonNode problem = FailbackApi.json(refused.body());
        assertEquals("DiskInconsistent", problem.path("type").asText());
        assertTrue(problem.path("detail").asText().contains("may not boot"), problem.toString());
    }

    @Test
    @Order(Integer.MAX_VALUE) // it stops a host the other tests use
    void aHostThatMissesItsHeartbeatsIsNotConnectedAndFailbackToItIsRefused() {
        api.createAzureVm("vm-orphaned", 4L << 20, 7);
        api.registerItemInAzure("vm-orphaned", WRONG_SWITCH.id(), "vSwitch-Lab");
        system.killService(WRONG_SWITCH.serviceName());
        try {
            JsonNode provider = awaitNotConnected(WRONG_SWITCH.id());
            assertEquals("NotConnected", provider.path("properties").path("connectionStatus").asText());
            HttpResponse<String> refused = api.exchange("POST",
                    system.jobServiceUrl().resolve("/api/replicationProtectedItems/vm-orphaned/plannedFailover"), """
                            {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                              "dataSyncOption": "ForSynchronization"}}}""");
            assertEquals(409, refused.statusCode(), refused.body());
            assertEquals("ProviderNotConnected", FailbackApi.json(refused.body()).path("type").asText());
        } finally {
            system.startService(WRONG_SWITCH.serviceName());
        }
    }

    private static JsonNode awaitNotConnected(String providerId) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode provider = api.get(system.jobServiceUrl().resolve("/api/replicationRecoveryServicesProviders/" + providerId));
            if ("NotConnected".equals(provider.path("properties").path("connectionStatus").asText())) {
                return provider;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("host " + providerId + " still reported Connected a minute after it died");
    }
}
