package io.failback.system;

import java.io.PrintStream;
import java.net.URI;
import java.util.Map;

/**
 * The main job {@code ./failback up} runs. For now it prints the requests to try by hand; it is meant to become
 * the scripted failback of a VM from the simulated Azure to a host.
 */
public final class FailbackDemo implements DemoScenario {

    private final PrintStream out;

    public FailbackDemo(PrintStream out) {
        this.out = out;
    }

    @Override
    public void run(SystemEndpoints endpoints) {
        out.println("Try it:");
        out.println("  curl -s " + endpoints.jobService().resolve("/q/health/ready"));
        out.println("  curl -s " + endpoints.jobService().resolve("/q/openapi"));
        printHealth("azure-sim", endpoints.azureSim());
        printHealth("sync-service", endpoints.syncService());
        for (Map.Entry<String, URI> host : endpoints.hostAgents().entrySet()) {
            printHealth("host-agent " + host.getKey(), host.getValue());
        }
        out.println();
    }

    private void printHealth(String what, URI baseUrl) {
        out.println("  curl -s " + baseUrl.resolve("/q/health/ready") + "    # " + what);
    }
}
