package io.failback.hostagent;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Registers the host when it has no identity yet ({@link HostRegistrar}), then runs the agent: registration comes
 * first because the HTTPS server serves the identity it produces.
 */
@QuarkusMain
public final class HostAgentMain {
    private HostAgentMain() {
    }

    public static void main(String... args) {
        try {
            System.out.println("[host-agent] " + new HostRegistrar(System.getenv()).ensureIdentity());
        } catch (HostRegistrar.RegistrationRefused refused) {
            System.err.println("[host-agent] registration refused, stopping: " + refused.getMessage());
            System.exit(HostRegistrar.REFUSED_EXIT_CODE);
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            System.exit(1);
        }
        Quarkus.run(args);
    }
}
