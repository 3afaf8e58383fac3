package io.failback.system;

import io.failback.system.security.JobServiceTls;
import io.failback.system.security.TokenRole;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The command line of {@code ./failback}: a command and {@code --flag value} (or {@code --flag=value}) options. */
final class LauncherOptions {

    static final String USAGE = String.join(System.lineSeparator(),
            "Usage: ./failback <command> [options]",
            "",
            "Commands:",
            "  up       start Kafka, PostgreSQL and the services, run the demo, stay in the foreground until Ctrl-C",
            "  stop     stop a running 'up' (from another terminal) and anything it left behind",
            "  status   say whether Failback runs and which services answer ready",
            "  token    print a bearer token for job-service's API (only the token: TOKEN=$(./failback token --role Operator))",
            "  build    rebuild everything (./mvnw -DskipTests install)",
            "",
            "Options of 'up':",
            "  --job-service-port N       HTTPS, default 8443 (job-service serves no plain HTTP)",
            "  --sync-service-port N      default 8081",
            "  --azure-sim-port N         default 8082",
            "  --host-agent-port N        default 8083; further hosts take the next ports",
            "  --kafka-port N             default 9092",
            "  --kafka-controller-port N  default 9093",
            "  --kafka-hosts-port N       default 9094; with --tls-internal the hosts log in here by certificate",
            "  --postgres-port N          default 5433",
            "  --host id:name:switch[,switch...]   a Hyper-V host to simulate; repeatable;",
            "                             default host-a:hyperv-a.contoso.local:vSwitch-Prod",
            "  --instances job-service=N,sync-service=M   run several instances of a service against the one broker and",
            "                             database (default 1 each, at most " + LocalSystem.MAX_INSTANCES + "); further instances take the ports after",
            "                             the host agents', and are named job-service-2, sync-service-2...",
            "  --kafka-bootstrap host:port         use this Kafka instead of starting one (env KAFKA_BOOTSTRAP_SERVERS;",
            "                             its topics need as many partitions as instances, see deploy/README.md)",
            "  --datasource-url postgresql://host:port/db   use this PostgreSQL instead of starting one",
            "                             (env FAILBACK_DATASOURCE_URL, with FAILBACK_DATASOURCE_USERNAME and",
            "                             FAILBACK_DATASOURCE_PASSWORD or the two options below)",
            "  --datasource-username U    default postgres",
            "  --datasource-password P    default postgres; a real password belongs in a file, not on a command line:",
            "  --datasource-password-file FILE   the password is this file's content (env FAILBACK_DATASOURCE_PASSWORD_FILE)",
            "  --no-demo                  start everything but do not run the demo",
            "  --tls-internal             mutual TLS between the services, with identities from the local CA in",
            "                             .failback/tls/: the sites answer their API only to the services allowed there;",
            "                             and SASL_SSL with per-service users and ACLs for Kafka (docs/security.md)",
            "  --tls-cert FILE --tls-key FILE   job-service serves this certificate (PEM, may be followed by its chain)",
            "                             and key (PEM, unencrypted) instead of one from the local CA in .failback/tls/",
            "                             (env FAILBACK_TLS_CERT, FAILBACK_TLS_KEY); it must name 127.0.0.1, where the",
            "                             launcher calls it",
            "  --tls-ca FILE              the CA that signed --tls-cert, which the launcher's clients trust",
            "                             (env FAILBACK_TLS_CA); without it they trust the certificate itself",
            "",
            "Options of 'token' (signed by the local issuer in .failback/jwt/, which job-service trusts):",
            "  --role Reader|Operator|Contributor   default Reader",
            "  --subject NAME             who the token names (its 'sub'); default the user name",
            "  --hours N                  how long it is valid; default 1, at most " + TokenCommand.MAX_HOURS,
            "");

    private String command = "help";
    private FixedPorts ports = FixedPorts.DEFAULTS;
    private final List<HostAgent> hosts = new ArrayList<>();
    private final Map<String, Integer> instances = new java.util.LinkedHashMap<>();
    private String kafkaBootstrap;
    private String datasourceUrl;
    private String datasourceUsername;
    private String datasourcePassword;
    private Datasource externalDatasource;
    private boolean runDemo = true;
    private boolean tlsInternal;
    private String tlsCertificate;
    private String tlsKey;
    private String tlsCa;
    private JobServiceTls bringYourOwnTls;
    private TokenRole tokenRole = TokenRole.READER;
    private String tokenSubject;
    private int tokenHours = 1;

    /** @throws IllegalArgumentException with a message for the user */
    static LauncherOptions parse(String[] args, Map<String, String> environment) {
        LauncherOptions options = new LauncherOptions();
        options.kafkaBootstrap = blankToNull(environment.get("KAFKA_BOOTSTRAP_SERVERS"));
        options.datasourceUrl = blankToNull(environment.get("FAILBACK_DATASOURCE_URL"));
        options.datasourceUsername = environment.getOrDefault("FAILBACK_DATASOURCE_USERNAME", PostgresServer.USERNAME);
        options.datasourcePassword = environment.getOrDefault("FAILBACK_DATASOURCE_PASSWORD", PostgresServer.PASSWORD);
        String passwordFile = blankToNull(environment.get("FAILBACK_DATASOURCE_PASSWORD_FILE"));
        if (passwordFile != null) {
            options.datasourcePassword = passwordFrom("FAILBACK_DATASOURCE_PASSWORD_FILE", passwordFile);
        }
        options.tlsCertificate = blankToNull(environment.get("FAILBACK_TLS_CERT"));
        options.tlsKey = blankToNull(environment.get("FAILBACK_TLS_KEY"));
        options.tlsCa = blankToNull(environment.get("FAILBACK_TLS_CA"));

        List<String> rest = new ArrayList<>(List.of(args));
        if (!rest.isEmpty() && !rest.get(0).startsWith("-")) {
            options.command = rest.remove(0);
        }
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (flag.equals("--no-demo")) {
                options.runDemo = false;
                continue;
            }
            if (flag.equals("--tls-internal")) {
                options.tlsInternal = true;
                continue;
            }
            if (flag.equals("-h") || flag.equals("--help")) {
                options.command = "help";
                continue;
            }
            String value;
            if (arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
            } else if (i + 1 < rest.size()) {
                value = rest.get(++i);
            } else {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            options.apply(flag, value);
        }
        // Only 'up' serves the certificate; 'stop' or 'token' must work whatever the environment says about it.
        boolean bringsCertificate = options.tlsCertificate != null || options.tlsKey != null || options.tlsCa != null;
        if (options.command.equals("up") && bringsCertificate) {
            if (options.tlsCertificate == null || options.tlsKey == null) {
                throw new IllegalArgumentException("--tls-cert and --tls-key (FAILBACK_TLS_CERT, FAILBACK_TLS_KEY) go together");
            }
            options.bringYourOwnTls = JobServiceTls.bringYourOwn(Path.of(options.tlsCertificate), Path.of(options.tlsKey),
                    options.tlsCa == null ? null : Path.of(options.tlsCa));
        }
        if (options.datasourceUrl != null) {
            options.externalDatasource = Datasource.of(options.datasourceUrl, options.datasourceUsername,
                    options.datasourcePassword);
        }
        return options;
    }

    /** A password kept in a file (its content without the line end), so that it is on no command line. */
    private static String passwordFrom(String flag, String file) {
        try {
            return java.nio.file.Files.readString(Path.of(file)).strip();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(flag + " " + file + " cannot be read: " + e.getMessage());
        }
    }

    private void apply(String flag, String value) {
        switch (flag) {
            case "--job-service-port" -> ports = ports.withJobService(port(flag, value));
            case "--sync-service-port" -> ports = ports.withSyncService(port(flag, value));
            case "--azure-sim-port" -> ports = ports.withAzureSim(port(flag, value));
            case "--host-agent-port" -> ports = ports.withFirstHostAgent(port(flag, value));
            case "--kafka-port" -> ports = ports.withKafka(port(flag, value));
            case "--kafka-controller-port" -> ports = ports.withKafkaController(port(flag, value));
            case "--kafka-hosts-port" -> ports = ports.withKafkaHosts(port(flag, value));
            case "--postgres-port" -> ports = ports.withPostgres(port(flag, value));
            case "--host" -> hosts.add(HostAgent.parse(value));
            case "--instances" -> instances.putAll(LocalSystem.parseInstances(value));
            case "--kafka-bootstrap" -> kafkaBootstrap = value;
            case "--datasource-url" -> datasourceUrl = value;
            case "--datasource-username" -> datasourceUsername = value;
            case "--datasource-password" -> datasourcePassword = value;
            case "--datasource-password-file" -> datasourcePassword = passwordFrom(flag, value);
            case "--tls-cert" -> tlsCertificate = value;
            case "--tls-key" -> tlsKey = value;
            case "--tls-ca" -> tlsCa = value;
            case "--role" -> tokenRole = TokenRole.parse(value);
            case "--subject" -> tokenSubject = value;
            case "--hours" -> tokenHours = hours(flag, value);
            default -> throw new IllegalArgumentException("Unknown option " + flag);
        }
    }

    private static int port(String flag, String value) {
        try {
            int port = Integer.parseInt(value);
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " needs a port number, got " + value);
    }

    private static int hours(String flag, String value) {
        try {
            int hours = Integer.parseInt(value);
            if (hours > 0 && hours <= TokenCommand.MAX_HOURS) {
                return hours;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " needs a number of hours from 1 to " + TokenCommand.MAX_HOURS + ", got " + value);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    String command() {
        return command;
    }

    /** The PostgreSQL given with --datasource-url, or null: the launcher starts its own. */
    Datasource externalDatasource() {
        return externalDatasource;
    }

    boolean runDemo() {
        return runDemo;
    }

    TokenRole tokenRole() {
        return tokenRole;
    }

    /** The {@code --subject}, if given. */
    Optional<String> tokenSubject() {
        return Optional.ofNullable(tokenSubject);
    }

    Duration tokenLifetime() {
        return Duration.ofHours(tokenHours);
    }

    /** Applies the ports, hosts and external infrastructure to a system being configured. */
    LocalSystem.Builder configure(LocalSystem.Builder builder) {
        builder.fixedPorts(ports);
        hosts.forEach(builder::host);
        instances.forEach(builder::instances);
        if (kafkaBootstrap != null) {
            builder.externalKafka(kafkaBootstrap);
        }
        if (externalDatasource != null) {
            builder.externalDatasource(externalDatasource);
        }
        if (bringYourOwnTls != null) {
            builder.jobServiceTls(bringYourOwnTls);
        }
        builder.tlsInternal(tlsInternal);
        return builder;
    }
}
