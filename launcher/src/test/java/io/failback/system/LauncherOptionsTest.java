package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** One switch secures what the services say to each other; without it the broker stays PLAINTEXT, as before. */
    @Test
    void tlsInternalSecuresTheLaunchersBroker() {
        Path workDir = Path.of("target", "launcher-options-test-tls");
        LocalSystem secured = LauncherOptions.parse(new String[] {"up", "--tls-internal"}, Map.of())
                .configure(LocalSystem.builder().workDir(workDir)).build();
        assertTrue(secured.kafkaSecured());
        assertEquals("SASL_SSL", secured.kafkaClientProperties(KafkaAccess.AUTOMATION).get("security.protocol"));
        LocalSystem plain = LauncherOptions.parse(new String[] {"up"}, Map.of())
                .configure(LocalSystem.builder().workDir(workDir)).build();
        assertFalse(plain.kafkaSecured());
        assertEquals(Map.of(), plain.kafkaClientProperties(KafkaAccess.AUTOMATION));
    }

    /** Issue #16, item 4: an external database's password can come from a file instead of the command line. */
    @Test
    void theDatasourcePasswordComesFromAFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = java.nio.file.Files.writeString(dir.resolve("db-password"), "s3cret-from-file\n");
        LauncherOptions byOption = LauncherOptions.parse(new String[] {"up", "--datasource-url", "postgresql://db:5432/failback",
                "--datasource-password-file", file.toString()}, Map.of());
        assertEquals("s3cret-from-file", byOption.externalDatasource().password());
        LauncherOptions byEnvironment = LauncherOptions.parse(new String[] {"up"}, Map.of(
                "FAILBACK_DATASOURCE_URL", "postgresql://db:5432/failback", "FAILBACK_DATASOURCE_PASSWORD_FILE", file.toString()));
        assertEquals("s3cret-from-file", byEnvironment.externalDatasource().password());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> LauncherOptions.parse(
                new String[] {"up", "--datasource-password-file", dir.resolve("none").toString()}, Map.of()));
        assertTrue(missing.getMessage().startsWith("--datasource-password-file"), missing.getMessage());
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
        // A host's certificate is the one it gets by registering, from the hosts CA: that, not the services' CA, is
        // what its callers trust for it.
        assertEquals(tls.hostsCa().certificate(), tls.internalTls().orElseThrow().hostsCa());
        assertNotEquals(tls.internalTls().orElseThrow().internalCa(), tls.internalTls().orElseThrow().hostsCa());
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
