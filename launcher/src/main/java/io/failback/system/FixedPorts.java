package io.failback.system;

/**
 * The ports {@code ./failback up} listens on. Further host agents take the ports after {@code firstHostAgent}.
 * job-service serves only HTTPS, on {@code jobService} (8443, the usual HTTPS alternative port); the others plain HTTP.
 * {@code kafkaHosts} is the broker's listener for the hosts, which log in by certificate; it is open only with
 * {@code --tls-internal}.
 */
public record FixedPorts(int jobService, int syncService, int azureSim, int firstHostAgent,
                         int kafka, int kafkaController, int kafkaHosts, int postgres) {

    public static final FixedPorts DEFAULTS = new FixedPorts(8443, 8081, 8082, 8083, 9092, 9093, 9094, 5433);

    public FixedPorts withJobService(int port) {
        return new FixedPorts(port, syncService, azureSim, firstHostAgent, kafka, kafkaController, kafkaHosts, postgres);
    }

    public FixedPorts withSyncService(int port) {
        return new FixedPorts(jobService, port, azureSim, firstHostAgent, kafka, kafkaController, kafkaHosts, postgres);
    }

    public FixedPorts withAzureSim(int port) {
        return new FixedPorts(jobService, syncService, port, firstHostAgent, kafka, kafkaController, kafkaHosts, postgres);
    }

    public FixedPorts withFirstHostAgent(int port) {
        return new FixedPorts(jobService, syncService, azureSim, port, kafka, kafkaController, kafkaHosts, postgres);
    }

    public FixedPorts withKafka(int port) {
        return new FixedPorts(jobService, syncService, azureSim, firstHostAgent, port, kafkaController, kafkaHosts, postgres);
    }

    public FixedPorts withKafkaController(int port) {
        return new FixedPorts(jobService, syncService, azureSim, firstHostAgent, kafka, port, kafkaHosts, postgres);
    }

    public FixedPorts withKafkaHosts(int port) {
        return new FixedPorts(jobService, syncService, azureSim, firstHostAgent, kafka, kafkaController, port, postgres);
    }

    public FixedPorts withPostgres(int port) {
        return new FixedPorts(jobService, syncService, azureSim, firstHostAgent, kafka, kafkaController, kafkaHosts, port);
    }
}
