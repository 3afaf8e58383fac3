package io.failback.hostagent;

import io.quarkus.runtime.Quarkus;
import java.nio.file.Path;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Registers the host when it has no identity yet ({@link HostRegistrar}), then runs the agent: registration comes
 * first because the HTTPS server serves the identity it produces, and Kafka may log in with it.
 */
@QuarkusMain
public final class HostAgentMain {
    private HostAgentMain() {
    }

    public static void main(String... args) {
        HostRegistrar registrar = new HostRegistrar(System.getenv());
        try {
            System.out.println("[host-agent] " + registrar.ensureIdentity());
        } catch (HostRegistrar.RegistrationRefused refused) {
            System.err.println("[host-agent] registration refused, stopping: " + refused.getMessage());
            System.exit(HostRegistrar.REFUSED_EXIT_CODE);
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            System.exit(1);
        }
        // A broker that authenticates by certificate knows this host by its identity; without one there is nothing to
        // present, and a broker that asks for none (PLAINTEXT, SASL_SSL) must not fail on a missing file.
        Path kafkaKeyStore = HostIdentity.kafkaKeyStore(registrar.storageDir());
        if (kafkaKeyStore != null) {
            System.setProperty("kafka.ssl.keystore.location", kafkaKeyStore.toString());
        }
        Quarkus.run(args);
    }
}
