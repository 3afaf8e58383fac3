package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LauncherOptionsTest {
    @Test
    void instancesOfBothServices() {
        LocalSystem system = LauncherOptions.parse(new String[] {"up", "--instances", "job-service=2,sync-service=3"}, Map.of())
                .configure(LocalSystem.builder().workDir(Path.of("target", "launcher-options-test")))
                .build();
        assertEquals(List.of("job-service", "job-service-2"), system.instances(LocalSystem.JOB_SERVICE));
        assertEquals(List.of("sync-service", "sync-service-2", "sync-service-3"), system.instances(LocalSystem.SYNC_SERVICE));
        // Further instances take the ports after the one host agent's (8083).
        assertEquals(8084, system.serviceUrl("sync-service-2").getPort());
        assertEquals(8085, system.serviceUrl("sync-service-3").getPort());
        assertEquals(8086, system.serviceUrl("job-service-2").getPort());
    }

    @Test
    void oneInstanceEachByDefault() {
        LocalSystem system = LauncherOptions.parse(new String[] {"up"}, Map.of())
                .configure(LocalSystem.builder().workDir(Path.of("target", "launcher-options-test")))
                .build();
        assertEquals(List.of("job-service"), system.instances(LocalSystem.JOB_SERVICE));
        assertEquals(List.of("sync-service"), system.instances(LocalSystem.SYNC_SERVICE));
    }

    @Test
    void tlsInternalMakesTheSitesHttpsAndTheirCallersIdentified() {
        Path workDir = Path.of("target", "launcher-options-test");
        LocalSystem plain = LauncherOptions.parse(new String[] {"up"}, Map.of())
                .configure(LocalSystem.builder().workDir(workDir)).build();
        assertEquals("http", plain.azureSimUrl().getScheme());
        assertEquals(true, plain.internalTls().isEmpty());

        LocalSystem tls = LauncherOptions.parse(new String[] {"up", "--tls-internal"}, Map.of())
                .configure(LocalSystem.builder().workDir(workDir)).build();
        assertEquals("https", tls.azureSimUrl().getScheme());
        String host = tls.hosts().get(0).id();
        assertEquals("https", tls.hostAgentUrl(host).getScheme());
        assertEquals(true, java.nio.file.Files.isRegularFile(tls.hostStorageDir(host).resolve("identity/key.pem")),
                "the stand-in for registration wrote the host's identity");
    }

    @Test
    void badInstanceCountsAreToldBeforeAnythingStarts() {
        for (String bad : List.of("job-service=0", "sync-service=13", "azure-sim=2", "sync-service", "job-service=two")) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> LauncherOptions.parse(new String[] {"up", "--instances", bad}, Map.of()), bad);
            assertEquals(true, refused.getMessage().startsWith("--instances"), refused.getMessage());
        }
    }
}
