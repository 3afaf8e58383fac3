package io.failback.system;

/**
 * The ports {@code ./failback up} listens on. Further host agents take the ports after {@code firstHostAgent}.
 * job-service serves only HTTPS, on {@code jobService} (8443, the usual HTTPS alternative port); the others plain HTTP.
 */
public record FixedPorts(int jobService, int syncService, int azureSim, int firstHostAgent,
                         int kafka, int kafkaController, int postgres) {

    public static final FixedPorts DEFAULTS = new FixedPorts(8443, 8081, 8082, 8083, 9092, 9093, 5433);

    public FixedPorts withJobService(int port) {
        return new FixedPorts(port, syncService, azureSim, firstHostAgent, kafka, kafkaController, postgres);
    }

    public FixedPorts withSyncService(int port) {
        return new FixedPorts(jobService, port, azureSim, firstHostAgent, kafka, kafkaController, postgres);
    }

    public FixedPorts withAzureSim(int port) {
        return new FixedPorts(jobService, syncService, port, firstHostAgent, kafka, kafkaController, postgres);
    }

    public FixedPorts withFirstHostAgent(int port) {
        return new FixedPorts(jobService, syncService, azureSim, port, kafka, kafkaController, postgres);
    }

    public FixedPorts withKafka(int port) {
        return new FixedPorts(jobService, syncService, azureSim, firstHostAgent, port, kafkaController, postgres);
    }

    public FixedPorts withKafkaController(int port) {
        return new FixedPorts(jobService, syncService, azureSim, firstHostAgent, kafka, port, postgres);
    }

    public FixedPorts withPostgres(int port) {
        return new FixedPorts(jobService, syncService, azureSim, firstHostAgent, kafka, kafkaController, port);
    }
}
