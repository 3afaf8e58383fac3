package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Kafka and PostgreSQL as the launcher runs them, without the services: they serve, survive a crash with their
 * data, and leave no process behind.
 */
class InfrastructureIT {

    private final List<Path> workDirs = new ArrayList<>();

    /** A passing test's Kafka and PostgreSQL data (about 50 MiB each) are deleted; its logs stay, a failing test's all. */
    @RegisterExtension
    final TestWatcher deleteDataOfAPassingTest = new TestWatcher() {
        @Override
        public void testSuccessful(ExtensionContext context) {
            try {
                for (Path workDir : workDirs) {
                    RunningSystem.deleteTree(workDir.resolve("data"));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    @Test
    void brokerAndDatabaseServeAndStopWithoutLeftovers() throws Exception {
        LocalSystem system = LocalSystem.builder().workDir(newWorkDir()).infrastructureOnly().start();
        List<ProcessHandle> processes = new ArrayList<>();
        try {
            ProcessHandle kafka = system.process(LocalSystem.KAFKA).orElseThrow();
            ProcessHandle postgres = system.process(LocalSystem.POSTGRES).orElseThrow();
            processes.add(kafka);
            processes.add(postgres);
            postgres.descendants().forEach(processes::add); // the server's backends and workers

            String topic = "infrastructure-it-" + UUID.randomUUID();
            produce(system.kafkaBootstrapServers(), topic, "hello");
            assertEquals("hello", consumeOne(system.kafkaBootstrapServers(), topic));

            assertTrue(system.datasource().url().endsWith("/failback"), system.datasource().url());
            assertEquals(1, queryInt(system.datasource(), "select 1"));
        } finally {
            system.close();
        }

        for (ProcessHandle process : processes) {
            assertFalse(process.isAlive(), "process " + process.pid() + " still alive");
        }
        assertFalse(FreePorts.isListening(port(system.kafkaBootstrapServers())));
        assertFalse(FreePorts.isListening(port(system.datasource().url())));
    }

    @Test
    void dataSurviveAKill() throws Exception {
        try (LocalSystem system = LocalSystem.builder().workDir(newWorkDir()).infrastructureOnly().start()) {
            String topic = "crash-it-" + UUID.randomUUID();
            produce(system.kafkaBootstrapServers(), topic, "before the crash");
            execute(system.datasource(), "create table survivor (id int)", "insert into survivor values (42)");

            system.killService(LocalSystem.KAFKA);
            system.killService(LocalSystem.POSTGRES);
            assertFalse(system.isRunning(LocalSystem.KAFKA));
            assertFalse(system.isRunning(LocalSystem.POSTGRES));

            system.startService(LocalSystem.POSTGRES);
            system.startService(LocalSystem.KAFKA);
            assertEquals(42, queryInt(system.datasource(), "select id from survivor"));
            assertEquals("before the crash", consumeOne(system.kafkaBootstrapServers(), topic));
        }
    }

    private Path newWorkDir() throws Exception {
        // Under target/ (failsafe's working directory is the module) so 'mvn clean' removes it.
        Path workDir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it")), "infrastructure-");
        workDirs.add(workDir);
        return workDir;
    }

    /** As under {@code ./failback up}: a database that dies on its own (not stopped by us) is started again, data and all. */
    @Test
    void aSupervisedSystemStartsTheDatabaseAgainWhenItDies() throws Exception {
        try (LocalSystem system = LocalSystem.builder().workDir(newWorkDir()).infrastructureOnly().supervise().start()) {
            execute(system.datasource(), "create table survivor (id int)", "insert into survivor values (7)");
            ProcessHandle postmaster = system.process(LocalSystem.POSTGRES).orElseThrow();

            postmaster.destroyForcibly();
            postmaster.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);

            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!(system.restarts(LocalSystem.POSTGRES) == 1 && system.isRunning(LocalSystem.POSTGRES)
                    && answers(system.datasource()))) {
                assertTrue(System.nanoTime() < deadline, "PostgreSQL was not started again; restarts: "
                        + system.restarts(LocalSystem.POSTGRES));
                Thread.sleep(200);
            }
            assertEquals(7, queryInt(system.datasource(), "select id from survivor"));
            assertTrue(system.process(LocalSystem.POSTGRES).orElseThrow().pid() != postmaster.pid(), "a new server");
        }
    }

    private static boolean answers(Datasource datasource) {
        try {
            return queryInt(datasource, "select 1") == 1;
        } catch (SQLException notYet) {
            return false;
        }
    }

    private static void produce(String bootstrapServers, String topic, String value) throws Exception {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            producer.send(new ProducerRecord<>(topic, "key", value)).get();
        }
    }

    private static String consumeOne(String bootstrapServers, String topic) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    return record.value();
                }
            }
        }
        throw new AssertionError("No record on " + topic + " within 60 s");
    }

    private static int queryInt(Datasource datasource, String sql) throws SQLException {
        try (Connection connection = connect(datasource);
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            assertTrue(row.next(), sql + " returned no row");
            return row.getInt(1);
        }
    }

    private static void execute(Datasource datasource, String... statements) throws SQLException {
        try (Connection connection = connect(datasource); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    private static Connection connect(Datasource datasource) throws SQLException {
        return DriverManager.getConnection(datasource.jdbcUrl(), datasource.username(), datasource.password());
    }

    private static int port(String address) {
        Matcher port = Pattern.compile(":(\\d+)(/|$)").matcher(address);
        assertTrue(port.find(), address);
        return Integer.parseInt(port.group(1));
    }
}
