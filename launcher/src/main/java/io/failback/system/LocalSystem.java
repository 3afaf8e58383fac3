package io.failback.system;

import io.failback.system.security.InternalTls;
import io.failback.system.security.HostsCa;
import io.failback.system.security.JobServiceTls;
import io.failback.system.security.LocalCertificates;
import io.failback.system.security.LocalIssuer;
import io.failback.system.security.ServerTls;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The whole system as real processes on this machine: a Kafka broker, PostgreSQL and the four services, each in its
 * own JVM or server process. {@code ./failback up} runs it on fixed ports; end-to-end tests run it on free ports in a
 * directory of their own:
 *
 * <pre>{@code
 * try (LocalSystem system = LocalSystem.builder().workDir(dir).start()) {
 *     FailbackApi api = system.api();   // HTTPS to job-service, trusting its CA, with Contributor tokens
 *     system.killService(LocalSystem.JOB_SERVICE);
 *     system.startService(LocalSystem.JOB_SERVICE);
 * }
 * }</pre>
 *
 * Processes start in dependency order (PostgreSQL, Kafka, azure-sim, then sync-service and job-service, then the
 * host agents, which register with job-service at their first start) and stop in the reverse order.
 * {@link #close()} also runs at JVM exit, so a test that forgets it leaves no process behind.
 *
 * <p>job-service serves only HTTPS and wants a bearer token on every API call. The system has its own token issuer
 * ({@link LocalIssuer}, keys in {@code jwt/}) and its own CA with job-service's certificate ({@link LocalCertificates},
 * in {@code tls/}), both under the work directory unless {@link Builder#securityDir} says otherwise, made on first
 * start and kept; a certificate the user brings ({@link Builder#jobServiceTls}) replaces the local one.
 */
public final class LocalSystem implements AutoCloseable {

    public static final String KAFKA = KafkaBroker.NAME;
    public static final String POSTGRES = PostgresServer.NAME;
    public static final String AZURE_SIM = ProjectLayout.AZURE_SIM;
    public static final String SYNC_SERVICE = ProjectLayout.SYNC_SERVICE;
    public static final String JOB_SERVICE = ProjectLayout.JOB_SERVICE;
    /**
     * The most instances of a service this launcher runs: every Failback topic it creates has this many partitions
     * ({@link KafkaBroker#PARTITIONS}), and an instance beyond them would get none.
     */
    public static final int MAX_INSTANCES = KafkaBroker.PARTITIONS;

    private final Path workDir;
    private final Path dataDir;
    private final Path logDir;
    private final ProcessListener listener;
    private final StartRetries startRetries;
    /** Null unless {@link Builder#supervise()}. */
    private final Supervisor supervisor;
    private final List<HostAgent> hosts;
    /** How many instances of job-service and of sync-service run; the first of each has the service's own name. */
    private final Map<String, Integer> instanceCounts;
    private final String kafkaBootstrapServers;
    /** Where the hosts reach Kafka: the broker's certificate listener when it is secured, else the same as the services. */
    private final String kafkaHostsBootstrapServers;
    /** Null unless {@link Builder#tlsInternal} with the launcher's own broker. */
    private final KafkaSecurity kafkaSecurity;
    private final Datasource datasource;
    private final boolean withServices;
    /** Null with {@link Builder#infrastructureOnly()}. */
    private final LocalIssuer issuer;
    /** Null with {@link Builder#infrastructureOnly()}. */
    private final JobServiceTls jobServiceTls;
    /** Null unless {@link Builder#tlsInternal(boolean)}: then the services call each other over mutual TLS. */
    private final InternalTls internalTls;
    /** Signs the hosts' certificates when they register, in job-service; null with {@link Builder#infrastructureOnly()}. */
    private final HostsCa hostsCa;
    private JobServiceAccess jobServiceAccess;
    /** In start order. */
    private final Map<String, Component> components = new LinkedHashMap<>();
    private final Map<String, Integer> portsToClaim = new LinkedHashMap<>();

    private final Object lifecycle = new Object();
    private boolean started;
    private boolean closed;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread stopAtExit = new Thread(this::close, "local-system-stop-at-exit");

    private LocalSystem(Builder builder) {
        ProjectLayout layout = builder.layout != null ? builder.layout : ProjectLayout.find();
        workDir = builder.workDir.toAbsolutePath().normalize();
        dataDir = builder.dataDir != null ? builder.dataDir.toAbsolutePath() : workDir.resolve("data");
        logDir = builder.logDir != null ? builder.logDir.toAbsolutePath() : workDir.resolve("logs");
        listener = builder.listener;
        startRetries = new StartRetries(StartRetries.ATTEMPTS, StartRetries.FIRST_PAUSE, builder.readyTimeout, listener);
        supervisor = builder.supervise ? new Supervisor(components, this::restart, listener,
                RestartBackoff.FIRST, RestartBackoff.CAP, RestartBackoff.STABLE) : null;
        ProcessListener componentListener = supervisor == null ? listener : new RestartOnUnexpectedExit();
        hosts = builder.hosts.isEmpty() ? List.of(HostAgent.defaultHost()) : List.copyOf(builder.hosts);
        instanceCounts = Map.of(JOB_SERVICE, builder.instances.getOrDefault(JOB_SERVICE, 1),
                SYNC_SERVICE, builder.instances.getOrDefault(SYNC_SERVICE, 1));
        withServices = builder.withServices;

        int furtherInstances = instanceCounts.values().stream().mapToInt(count -> count - 1).sum();
        FixedPorts ports;
        List<Integer> hostPorts = new ArrayList<>();
        List<Integer> furtherInstancePorts = new ArrayList<>();
        if (builder.fixedPorts != null) {
            ports = builder.fixedPorts;
            for (int i = 0; i < hosts.size() + furtherInstances; i++) {
                (i < hosts.size() ? hostPorts : furtherInstancePorts).add(ports.firstHostAgent() + i);
            }
        } else {
            List<Integer> free = FreePorts.allocate(7 + hosts.size() + furtherInstances);
            ports = new FixedPorts(free.get(0), free.get(1), free.get(2), free.get(7), free.get(3), free.get(4), free.get(5),
                    free.get(6));
            hostPorts.addAll(free.subList(7, 7 + hosts.size()));
            furtherInstancePorts.addAll(free.subList(7 + hosts.size(), free.size()));
        }

        if (builder.externalDatasource == null) {
            PostgresServer postgres = new PostgresServer(dataDir.resolve("postgres"), logFile(POSTGRES), ports.postgres(),
                    componentListener);
            add(postgres, ports.postgres());
            datasource = postgres.datasource();
        } else {
            datasource = builder.externalDatasource;
        }
        Path securityDir = builder.securityDir != null ? builder.securityDir.toAbsolutePath() : workDir;
        kafkaSecurity = builder.tlsInternal && builder.externalKafka == null
                ? KafkaSecurity.openOrCreate(securityDir.resolve("tls"), dataDir.resolve("kafka-credentials")) : null;
        if (builder.externalKafka == null) {
            KafkaBroker kafka = new KafkaBroker(layout, dataDir, workDir, logFile(KAFKA), ports.kafka(),
                    ports.kafkaController(), ports.kafkaHosts(), kafkaSecurity, componentListener);
            add(kafka, ports.kafka());
            portsToClaim.put(KAFKA + " controller", ports.kafkaController());
            if (kafkaSecurity != null) {
                portsToClaim.put(KAFKA + " hosts' listener", ports.kafkaHosts());
            }
            kafkaBootstrapServers = kafka.bootstrapServers();
            kafkaHostsBootstrapServers = kafka.hostsBootstrapServers();
        } else {
            kafkaBootstrapServers = builder.externalKafka;
            kafkaHostsBootstrapServers = builder.externalKafka;
        }
        if (withServices) {
            issuer = LocalIssuer.openOrCreate(securityDir.resolve("jwt"));
            jobServiceTls = builder.jobServiceTls != null ? builder.jobServiceTls
                    : LocalCertificates.openOrCreate(securityDir.resolve("tls"));
            hostsCa = HostsCa.openOrCreate(securityDir.resolve("tls"));
            internalTls = builder.tlsInternal ? InternalTls.openOrCreate(securityDir.resolve("tls"), hostsCa) : null;
            addServices(layout, ports, hostPorts, furtherInstancePorts, builder.extraEnvironment, componentListener);
        } else {
            issuer = null;
            jobServiceTls = null;
            internalTls = null;
            hostsCa = null;
        }
    }

    private void addServices(ProjectLayout layout, FixedPorts ports, List<Integer> hostPorts, List<Integer> furtherInstancePorts,
                             Map<String, Map<String, String>> extraEnvironment, ProcessListener componentListener) {
        java.util.Iterator<Integer> furtherPorts = furtherInstancePorts.iterator();
        String scheme = internalTls != null ? "https" : "http";
        URI azureUrl = URI.create(scheme + "://127.0.0.1:" + ports.azureSim());
        addService(layout, AZURE_SIM, AZURE_SIM, ports.azureSim(), internalTls != null ? internalTls.azureSim(AZURE_SIM) : null,
                Map.of("AZURE_SIM_STORAGE_DIR", azureStorageDir().toString()), extraEnvironment, componentListener);
        // Hosts register with job-service at their first start (a key the launcher makes for them, as a file), so they
        // know where it is and which CA signs its certificate.
        URI jobServiceUrl = URI.create("https://127.0.0.1:" + ports.jobService());
        for (int i = 0; i < hosts.size(); i++) {
            HostAgent host = hosts.get(i);
            int port = hostPorts.get(i);
            ServerTls hostTls = null;
            if (internalTls != null) {
                // The host serves HTTPS with the identity it got by registering; its probe trusts the hosts CA.
                Path identity = hostStorageDir(host.id()).resolve("identity");
                hostTls = internalTls.site(identity.resolve("certificate.pem"), identity.resolve("key.pem"), hostsCa.certificate());
            }
            Map<String, String> hostEnvironment = new HashMap<>(Map.of(
                    "HOST_AGENT_PROVIDER_ID", host.id(),
                    "HOST_AGENT_NAME", host.hostName(),
                    "HOST_AGENT_VIRTUAL_SWITCHES", String.join(",", host.virtualSwitches()),
                    "HOST_AGENT_STORAGE_DIR", hostStorageDir(host.id()).toString(),
                    "HOST_AGENT_ADVERTISED_URL", scheme + "://127.0.0.1:" + port));
            hostEnvironment.put("HOST_AGENT_JOB_SERVICE_URL", jobServiceUrl.toString());
            hostEnvironment.put("HOST_AGENT_JOB_SERVICE_CA_FILE", jobServiceTls.trustAnchors().toString());
            hostEnvironment.put("HOST_AGENT_REGISTRATION_KEY_FILE", registrationKeyFile(host.id()).toString());
            addService(layout, host.serviceName(), ProjectLayout.HOST_AGENT, port, hostTls, hostEnvironment, extraEnvironment,
                    componentListener);
        }
        Map<String, String> syncServiceEnvironment = new HashMap<>(Map.of("FAILBACK_AZURE_URL", azureUrl.toString()));
        if (internalTls != null) {
            syncServiceEnvironment.putAll(internalTls.clientEnvironment(SYNC_SERVICE));
        }
        for (String instance : instances(SYNC_SERVICE)) {
            addService(layout, instance, SYNC_SERVICE, instance.equals(SYNC_SERVICE) ? ports.syncService() : furtherPorts.next(), null,
                    syncServiceEnvironment, instanceEnvironment(extraEnvironment, SYNC_SERVICE, instance), componentListener);
        }
        Map<String, String> jobServiceEnvironment = new HashMap<>(Map.of(
                "QUARKUS_DATASOURCE_REACTIVE_URL", datasource.url(),
                "QUARKUS_DATASOURCE_USERNAME", datasource.username(),
                "QUARKUS_DATASOURCE_PASSWORD", datasource.password(),
                "FAILBACK_AZURE_URL", azureUrl.toString()));
        jobServiceEnvironment.putAll(issuer.jobServiceEnvironment());
        if (internalTls != null) {
            jobServiceEnvironment.putAll(internalTls.clientEnvironment(JOB_SERVICE));
        }
        jobServiceEnvironment.put("FAILBACK_HOSTS_CA_CERT_FILE", hostsCa.certificate().toString());
        jobServiceEnvironment.put("FAILBACK_HOSTS_CA_KEY_FILE", hostsCa.privateKey().toString());
        for (String instance : instances(JOB_SERVICE)) {
            addService(layout, instance, JOB_SERVICE, instance.equals(JOB_SERVICE) ? ports.jobService() : furtherPorts.next(),
                    jobServiceTls, jobServiceEnvironment, instanceEnvironment(extraEnvironment, JOB_SERVICE, instance), componentListener);
        }
        for (String name : extraEnvironment.keySet()) {
            if (!(components.get(name) instanceof QuarkusService)) {
                throw new IllegalArgumentException("Extra environment for unknown service " + name);
            }
        }
    }

    /**
     * What {@link Builder#environment} set for a service applies to every instance of it; what it set for one
     * further instance by its name ({@code sync-service-2}) to that one too.
     */
    private static Map<String, Map<String, String>> instanceEnvironment(Map<String, Map<String, String>> extraEnvironment, String service,
                                                                       String instance) {
        Map<String, String> merged = new HashMap<>(extraEnvironment.getOrDefault(service, Map.of()));
        merged.putAll(extraEnvironment.getOrDefault(instance, Map.of()));
        return Map.of(instance, merged);
    }

    /**
     * {@code job-service=2,sync-service=3}, as {@code --instances} takes it: checked here so that a typo is told
     * before anything starts (an {@link IllegalArgumentException} whose message names the option).
     */
    public static Map<String, Integer> parseInstances(String value) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String part : value.split(",")) {
            String[] serviceAndCount = part.trim().split("=", 2);
            String service = serviceAndCount[0].trim();
            if (!service.equals(JOB_SERVICE) && !service.equals(SYNC_SERVICE)) {
                throw new IllegalArgumentException("--instances takes job-service=N and sync-service=N, not '" + part.trim() + "'");
            }
            int count;
            try {
                count = serviceAndCount.length == 2 ? Integer.parseInt(serviceAndCount[1].trim()) : -1;
            } catch (NumberFormatException e) {
                count = -1;
            }
            if (count < 1 || count > MAX_INSTANCES) {
                throw new IllegalArgumentException("--instances needs a count from 1 to " + MAX_INSTANCES + " for " + service
                        + ", got '" + part.trim() + "'");
            }
            counts.put(service, count);
        }
        return counts;
    }

    /**
     * The names of the instances of job-service or sync-service, in start order: the service's own name, then
     * {@code <service>-2}, {@code <service>-3}...
     */
    public List<String> instances(String service) {
        Integer count = instanceCounts.get(service);
        if (count == null) {
            throw new IllegalArgumentException("Only " + instanceCounts.keySet() + " run as several instances, not " + service);
        }
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            names.add(i == 1 ? service : service + "-" + i);
        }
        return names;
    }

    /** A service on {@code port}: HTTPS only with {@code tls}, plain HTTP when it is null. */
    private void addService(ProjectLayout layout, String name, String module, int port, ServerTls tls,
                            Map<String, String> environment, Map<String, Map<String, String>> extraEnvironment,
                            ProcessListener componentListener) {
        Map<String, String> env = new HashMap<>(environment);
        env.put("KAFKA_BOOTSTRAP_SERVERS", module.equals(ProjectLayout.HOST_AGENT) ? kafkaHostsBootstrapServers : kafkaBootstrapServers);
        String kafkaPrincipal = KafkaAccess.principalOf(module);
        if (kafkaSecurity != null && kafkaPrincipal != null) {
            env.putAll(kafkaSecurity.serviceEnvironment(kafkaPrincipal));
        }
        env.putAll(extraEnvironment.getOrDefault(name, Map.of()));
        add(new QuarkusService(name, layout.serviceJar(module), port, tls, env, workDir, logFile(name), componentListener,
                !module.equals(JOB_SERVICE)), port);
    }

    private void add(Component component, int port) {
        components.put(component.name(), component);
        portsToClaim.put(component.name(), port);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts every part and returns once each is ready. On failure it stops what it started and throws a
     * {@link SystemStartException} whose message quotes the failing part's log.
     */
    public LocalSystem start() {
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException("A LocalSystem starts once");
            }
            started = true;
        }
        Runtime.getRuntime().addShutdownHook(stopAtExit);
        try {
            failIfPortsTaken();
            for (Component infrastructure : componentsNamed(POSTGRES, KAFKA)) {
                startTogether(List.of(infrastructure));
            }
            if (withServices) {
                createStorageDirs();
                // Sync and jobs call azure-sim, so it comes first; the hosts register with job-service at their first
                // start, so they come last. Nothing calls a host before a failback or a VM lookup asks for it.
                startTogether(componentsNamed(AZURE_SIM));
                List<String> services = new ArrayList<>(instances(SYNC_SERVICE));
                services.addAll(instances(JOB_SERVICE));
                startTogether(componentsNamed(services.toArray(String[]::new)));
                try {
                    startTogether(hosts.stream().map(host -> components.get(host.serviceName())).toList());
                } finally {
                    forgetRegistrationKeys();
                }
            }
            if (supervisor != null) {
                supervisor.watch(components.keySet());
            }
            return this;
        } catch (Exception | Error e) {
            close();
            if (e instanceof SystemStartException startFailure) {
                throw startFailure;
            }
            throw new SystemStartException("Failback did not start: " + e, e);
        }
    }

    private void createStorageDirs() throws IOException {
        Files.createDirectories(azureStorageDir());
        for (HostAgent host : hosts) {
            Files.createDirectories(hostStorageDir(host.id()));
        }
    }

    private void failIfPortsTaken() {
        portsToClaim.forEach((name, port) -> {
            if (FreePorts.isListening(port)) {
                throw new SystemStartException("Port " + port + " for " + name + " is already in use"
                        + " (is Failback already running? ./failback status).");
            }
        });
    }

    /** Launches the components at once and waits until all are ready, trying again as {@link StartRetries} says. */
    private void startTogether(List<Component> group) throws Exception {
        startRetries.startTogether(group, this::launch, this::isClosed);
    }

    private boolean isClosed() {
        synchronized (lifecycle) {
            return closed;
        }
    }

    private void launch(Component component) throws Exception {
        prepareRegistration(component);
        // Under the lock, so a concurrent close() either sees this process or prevents it.
        synchronized (lifecycle) {
            if (closed) {
                throw new SystemStartException("Stopped while starting " + component.name());
            }
            if (component.isRunning()) {
                throw new IllegalStateException(component.name() + " is already running");
            }
            Files.createDirectories(logDir);
            component.launch();
        }
        component.process().ifPresent(process -> listener.started(component.name(), process));
        if (supervisor != null) {
            supervisor.started(component.name());
        }
    }

    /** One try, for the {@link Supervisor}, which pauses and tries again itself. */
    private void restart(Component component) throws Exception {
        launch(component);
        component.awaitReady(Instant.now().plus(startRetries.readyTimeout()));
    }

    /** How often {@code name} was started again after it ended unexpectedly; 0 unless {@link Builder#supervise()}. */
    public int restarts(String name) {
        component(name);
        return supervisor == null ? 0 : supervisor.restarts(name);
    }

    private List<Component> componentsNamed(String... names) {
        List<Component> found = new ArrayList<>();
        for (String name : names) {
            Optional.ofNullable(components.get(name)).ifPresent(found::add);
        }
        return found;
    }

    /** Starts a stopped or killed part again (a service, {@link #KAFKA} or {@link #POSTGRES}) and waits until it is ready. */
    public void startService(String name) {
        Component component = component(name);
        try {
            startTogether(List.of(component));
        } catch (SystemStartException e) {
            throw e;
        } catch (Exception e) {
            throw new SystemStartException("Cannot start " + name + ": " + e, e);
        } finally {
            forgetRegistrationKeys();
        }
    }

    /**
     * A host about to start without an identity gets a one-time registration key, made through job-service's API with
     * the launcher's Contributor token and handed over as a file only its owner reads ({@link #registrationKeyFile});
     * a host that registered before keeps its identity and gets none.
     */
    private void prepareRegistration(Component component) throws IOException {
        Optional<HostAgent> host = hosts.stream().filter(h -> h.serviceName().equals(component.name())).findFirst();
        if (host.isEmpty() || Files.isRegularFile(hostStorageDir(host.get().id()).resolve("identity").resolve("certificate.pem"))) {
            return;
        }
        String keyName = "launcher-" + host.get().id() + "-" + Long.toHexString(System.nanoTime());
        String key = api().send("PUT", jobServiceUrl().resolve("/api/hostRegistrationKeys/" + keyName), "{}", 201)
                .path("properties").path("key").asText();
        Path file = registrationKeyFile(host.get().id());
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        // Owner-only from its creation, before a byte of the key is in it.
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, key);
    }

    /** Registration keys are spent once the hosts started (or could not): their files go. */
    private void forgetRegistrationKeys() {
        for (HostAgent host : hosts) {
            try {
                Files.deleteIfExists(registrationKeyFile(host.id()));
            } catch (IOException e) {
                System.err.println("[LocalSystem] cannot delete " + registrationKeyFile(host.id()) + ": " + e);
            }
        }
    }

    /**
     * Unregisters a stopped host and deletes its identity, so that its next start registers it anew (with a new key pair
     * and whatever address it then advertises): a host's address is bound to its registration, so this is how it moves.
     */
    public void forgetHost(String hostId) {
        HostAgent host = host(hostId);
        if (isRunning(host.serviceName())) {
            throw new IllegalStateException(host.serviceName() + " runs; stop it before it is forgotten");
        }
        int status = api().exchange("DELETE", jobServiceUrl().resolve("/api/replicationRecoveryServicesProviders/" + host.id()), null)
                .statusCode();
        if (status != 204 && status != 404) {
            throw new IllegalStateException("job-service answered " + status + " to the removal of " + host.id());
        }
        Path identity = hostStorageDir(host.id()).resolve("identity");
        try (var files = Files.exists(identity) ? Files.list(identity) : java.util.stream.Stream.<Path>empty()) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
            Files.deleteIfExists(identity);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot delete " + identity, e);
        }
    }

    /** Where a host finds the registration key the launcher made for it, while it starts for the first time. */
    public Path registrationKeyFile(String hostId) {
        return workDir.resolve("registration").resolve(host(hostId).id() + ".key");
    }

    /** The CA job-service signs the hosts' certificates with, when they register. */
    public HostsCa hostsCa() {
        return requireServices(hostsCa);
    }

    /**
     * Starts a stopped service with some environment variables set anew (they stay for its later starts), e.g. to
     * measure the same system with a setting on and off.
     */
    public void startService(String name, Map<String, String> environmentChanges) {
        if (!(component(name) instanceof QuarkusService service)) {
            throw new IllegalArgumentException(name + " is not a service whose environment this system sets");
        }
        if (service.isRunning()) {
            throw new IllegalStateException(name + " runs; stop it before starting it with another environment");
        }
        service.changeEnvironment(environmentChanges);
        startService(name);
    }

    /** Graceful stop: SIGTERM, then SIGKILL after 15 s. */
    public void stopService(String name) {
        component(name).stop();
        listener.stopped(name);
    }

    /** SIGKILL, as a crash would; for PostgreSQL the postmaster. */
    public void killService(String name) {
        component(name).kill();
        listener.stopped(name);
    }

    public boolean isRunning(String name) {
        return component(name).isRunning();
    }

    /** The part's OS process while it runs. */
    public Optional<ProcessHandle> process(String name) {
        return component(name).process();
    }

    private Component component(String name) {
        Component component = components.get(name);
        if (component == null) {
            throw new IllegalArgumentException("No part named " + name + " here; there are " + components.keySet());
        }
        return component;
    }

    /** The names of the parts this instance runs, in start order (external Kafka or PostgreSQL are not among them). */
    public List<String> names() {
        return List.copyOf(components.keySet());
    }

    List<Component> components() {
        return List.copyOf(components.values());
    }

    /** job-service's HTTPS base URL, like {@code https://127.0.0.1:8443}. */
    public URI jobServiceUrl() {
        return serviceUrl(JOB_SERVICE);
    }

    /** What a client needs to call job-service: its URL, trust in its certificate, and Contributor tokens. */
    public synchronized JobServiceAccess jobServiceAccess() {
        if (jobServiceAccess == null) {
            JobServiceTls tls = requireServices(jobServiceTls);
            // With TLS between services, the launcher's clients also call the sites, as their operator.
            javax.net.ssl.SSLContext trust = internalTls == null ? tls.clientContext()
                    : internalTls.clientContext(InternalTls.LAUNCHER, tls.trustAnchors(), internalTls.internalCa(), internalTls.hostsCa());
            jobServiceAccess = new JobServiceAccess(jobServiceUrl(), tls.trustAnchors(), trust,
                    issuer.contributorTokens("failback-launcher"));
        }
        return jobServiceAccess;
    }

    /** A client of this system's APIs, as {@link FailbackApi} describes it. */
    public FailbackApi api() {
        return new FailbackApi(jobServiceAccess(), azureSimUrl());
    }

    /** The issuer whose tokens this system's job-service accepts, e.g. to sign a Reader token in a test. */
    public LocalIssuer issuer() {
        return requireServices(issuer);
    }

    /**
     * The identities and CAs of TLS between services, to call a site as a service, as the launcher or without a
     * certificate; empty unless {@link Builder#tlsInternal(boolean)}.
     */
    public Optional<InternalTls> internalTls() {
        return Optional.ofNullable(internalTls);
    }

    /** job-service's certificate and key, and what clients trust for it. */
    public JobServiceTls jobServiceTls() {
        return requireServices(jobServiceTls);
    }

    private <T> T requireServices(T part) {
        if (part == null) {
            throw new IllegalStateException("This system runs only Kafka and PostgreSQL (infrastructureOnly)");
        }
        return part;
    }

    public URI syncServiceUrl() {
        return serviceUrl(SYNC_SERVICE);
    }

    public URI azureSimUrl() {
        return serviceUrl(AZURE_SIM);
    }

    public URI hostAgentUrl(String hostId) {
        return serviceUrl(host(hostId).serviceName());
    }

    /**
     * Base URL, like {@code http://127.0.0.1:41234}, of a service by name ({@code host-agent-<hostId>} for hosts);
     * job-service's is {@code https://}, and with {@link Builder#tlsInternal} the sites' too.
     */
    public URI serviceUrl(String name) {
        if (component(name) instanceof QuarkusService service) {
            return service.baseUrl();
        }
        throw new IllegalArgumentException(name + " is not an HTTP service");
    }

    public List<HostAgent> hosts() {
        return hosts;
    }

    private HostAgent host(String hostId) {
        return hosts.stream().filter(host -> host.id().equals(hostId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No host " + hostId + "; there are " + hosts));
    }

    public String kafkaBootstrapServers() {
        return kafkaBootstrapServers;
    }

    /**
     * What a Kafka client in this JVM needs besides {@link #kafkaBootstrapServers()} to log in as {@code principal}
     * ({@link KafkaAccess#SCRAM_PRINCIPALS}): nothing without {@link Builder#tlsInternal}, else SASL_SSL with that
     * principal's password. Hosts log in by certificate instead: {@link #kafkaCertificateClientProperties}.
     */
    public Map<String, Object> kafkaClientProperties(String principal) {
        return kafkaSecurity == null ? Map.of() : kafkaSecurity.clientProperties(principal);
    }

    /**
     * What a Kafka client in this JVM needs, bootstrap servers included, to log in as a host would: on the broker's
     * hosts' listener with the key and certificate in {@code keyStore} (PEM, as a host keeps its identity:
     * {@code identity/kafka-keystore.pem} under {@link #hostStorageDir}). Only with {@link #kafkaSecured()}.
     */
    public Map<String, Object> kafkaCertificateClientProperties(Path keyStore) {
        if (kafkaSecurity == null) {
            throw new IllegalStateException("Kafka is not secured: start with tlsInternal(true)");
        }
        Map<String, Object> properties = new HashMap<>(kafkaSecurity.certificateClientProperties(keyStore));
        properties.put("bootstrap.servers", kafkaHostsBootstrapServers);
        return properties;
    }

    /** The directory holding {@code principal}'s Kafka password as the file {@code password}; only with {@link #kafkaSecured()}. */
    public Path kafkaPasswordDirectory(String principal) {
        if (kafkaSecurity == null) {
            throw new IllegalStateException("Kafka is not secured: start with tlsInternal(true)");
        }
        return kafkaSecurity.credentials().passwordDirectory(principal);
    }

    /** Whether this system's own broker takes only authenticated clients over TLS ({@link Builder#tlsInternal}). */
    public boolean kafkaSecured() {
        return kafkaSecurity != null;
    }

    /** The database job-service uses; {@link Datasource#jdbcUrl()} for a JDBC driver. */
    public Datasource datasource() {
        return datasource;
    }

    public Path azureStorageDir() {
        return dataDir.resolve("azure");
    }

    public Path hostStorageDir(String hostId) {
        return dataDir.resolve("hosts").resolve(host(hostId).id());
    }

    public Path workDir() {
        return workDir;
    }

    public Path logDir() {
        return logDir;
    }

    /** Where a part's output goes, e.g. {@code logs/job-service.log}. */
    public Path logFile(String name) {
        return logDir.resolve(name + ".log");
    }

    public SystemEndpoints endpoints() {
        Map<String, URI> hostUrls = new LinkedHashMap<>();
        Map<String, Path> hostDirs = new LinkedHashMap<>();
        for (HostAgent host : hosts) {
            hostUrls.put(host.id(), hostAgentUrl(host.id()));
            hostDirs.put(host.id(), hostStorageDir(host.id()));
        }
        return new SystemEndpoints(jobServiceAccess(), syncServiceUrl(), azureSimUrl(), hostUrls, kafkaBootstrapServers,
                datasource, azureStorageDir(), hostDirs);
    }

    /**
     * Stops the services, then Kafka, then PostgreSQL. Safe to call more than once and from several threads: later
     * calls wait until the first has finished.
     */
    @Override
    public void close() {
        boolean first;
        synchronized (lifecycle) {
            first = !closed;
            closed = true;
        }
        if (!first) {
            awaitStopped();
            return;
        }
        if (supervisor != null) {
            supervisor.close();
        }
        try {
            List<Component> stopOrder = new ArrayList<>(components.values());
            Collections.reverse(stopOrder);
            for (Component component : stopOrder) {
                stopQuietly(component);
            }
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(stopAtExit);
            } catch (IllegalStateException | IllegalArgumentException alreadyExitingOrNeverStarted) {
                // nothing to undo
            }
        }
    }

    private void stopQuietly(Component component) {
        try {
            component.stop();
        } catch (RuntimeException e) {
            System.err.println("Could not stop " + component.name() + " cleanly: " + e);
        }
        listener.stopped(component.name());
    }

    private void awaitStopped() {
        boolean interrupted = false;
        while (true) {
            try {
                stopped.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Configures a {@link LocalSystem}; only {@link #workDir} is required. */
    public static final class Builder {

        private ProjectLayout layout;
        private Path workDir;
        private Path dataDir;
        private Path logDir;
        private FixedPorts fixedPorts;
        private final List<HostAgent> hosts = new ArrayList<>();
        private String externalKafka;
        private Datasource externalDatasource;
        private boolean withServices = true;
        private boolean supervise;
        private Duration readyTimeout = Duration.ofSeconds(120);
        private ProcessListener listener = new ReportUnexpectedExits();
        private final Map<String, Map<String, String>> extraEnvironment = new HashMap<>();
        private final Map<String, Integer> instances = new HashMap<>();
        private Path securityDir;
        private JobServiceTls jobServiceTls;
        private boolean tlsInternal;

        private Builder() {
        }

        /**
         * Secures what the services say to each other ({@code ./failback up --tls-internal}): mutual TLS between services
         * (azure-sim and the hosts serve HTTPS only and answer {@code /api/*} only to the identities allowed there;
         * sync-service and job-service call them with their own identity from the local CA, verifying each site's, a
         * host's pinned to its provider id) and, for the launcher's own Kafka broker, SASL_SSL with a SCRAM principal per
         * service and ACLs ({@link KafkaAccess}). Off by default.
         */
        public Builder tlsInternal(boolean tlsInternal) {
            this.tlsInternal = tlsInternal;
            return this;
        }

        /**
         * Where the token issuer's keys ({@code jwt/}) and the local CA and job-service's certificate ({@code tls/})
         * are kept; the work directory by default.
         */
        public Builder securityDir(Path securityDir) {
            this.securityDir = securityDir;
            return this;
        }

        /** job-service serves this certificate instead of one from the local CA. */
        public Builder jobServiceTls(JobServiceTls tls) {
            this.jobServiceTls = tls;
            return this;
        }

        /** The checkout to run; by default found from {@code FAILBACK_HOME} or the current directory. */
        public Builder layout(ProjectLayout layout) {
            this.layout = layout;
            return this;
        }

        /** Holds {@code data/} and {@code logs/} unless those are set, and is the services' working directory. */
        public Builder workDir(Path workDir) {
            this.workDir = workDir;
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder logDir(Path logDir) {
            this.logDir = logDir;
            return this;
        }

        /** Listen on these ports; without this every part gets a free port. */
        public Builder fixedPorts(FixedPorts ports) {
            this.fixedPorts = ports;
            return this;
        }

        /** Adds a host agent; without any, one {@link HostAgent#defaultHost()} runs. */
        public Builder host(HostAgent host) {
            if (hosts.stream().anyMatch(known -> known.id().equals(host.id()))) {
                throw new IllegalArgumentException("Host " + host.id() + " is given twice");
            }
            hosts.add(host);
            return this;
        }

        /** Uses this broker instead of starting one. */
        public Builder externalKafka(String bootstrapServers) {
            this.externalKafka = bootstrapServers;
            return this;
        }

        /** Uses this database instead of starting PostgreSQL. */
        public Builder externalDatasource(Datasource datasource) {
            this.externalDatasource = datasource;
            return this;
        }

        /** Only Kafka and PostgreSQL, e.g. to test them while the services are not built. */
        public Builder infrastructureOnly() {
            this.withServices = false;
            return this;
        }

        /**
         * Once started, PostgreSQL, the Kafka broker or a service whose process ends without being asked to is started
         * again, after 1 s, 2 s, 4 s... (at most 30 s; back to 1 s after it ran for a minute), as Kubernetes restarts a
         * crashed container. Off by default: tests that kill parts on purpose restart them themselves.
         */
        public Builder supervise() {
            this.supervise = true;
            return this;
        }

        /** How long each start phase may take to become ready; 120 s by default. */
        public Builder readyTimeout(Duration timeout) {
            this.readyTimeout = timeout;
            return this;
        }

        /** Told about every process start and stop; by default unexpected exits are printed to stderr. */
        public Builder listener(ProcessListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Runs {@code count} instances of {@link #JOB_SERVICE} or {@link #SYNC_SERVICE} (one by default) against the one
         * broker and database, as Kubernetes runs replicas: the first keeps the service's name, the others are named
         * {@code <service>-2}, {@code <service>-3}... ({@link LocalSystem#instances}). With fixed ports the further
         * instances take the ports after the host agents'; otherwise free ones.
         */
        public Builder instances(String service, int count) {
            if (!service.equals(JOB_SERVICE) && !service.equals(SYNC_SERVICE)) {
                throw new IllegalArgumentException("Only " + JOB_SERVICE + " and " + SYNC_SERVICE + " run as several instances, not " + service);
            }
            if (count < 1 || count > MAX_INSTANCES) {
                throw new IllegalArgumentException(service + " runs as 1 to " + MAX_INSTANCES + " instances, not " + count);
            }
            instances.put(service, count);
            return this;
        }

        /**
         * An extra environment variable for one service (every instance of it), or for one further instance by its
         * name, e.g. to shorten a timeout in a test.
         */
        public Builder environment(String serviceName, String variable, String value) {
            extraEnvironment.computeIfAbsent(serviceName, name -> new HashMap<>()).put(variable, value);
            return this;
        }

        public LocalSystem build() {
            if (workDir == null) {
                throw new IllegalStateException("workDir is required");
            }
            return new LocalSystem(this);
        }

        /** {@link #build()} and {@link LocalSystem#start()}. */
        public LocalSystem start() {
            return build().start();
        }
    }

    /** Hands each unexpected exit to the {@link Supervisor} after the listener has heard of it. */
    private final class RestartOnUnexpectedExit implements ProcessListener {
        @Override
        public void exitedUnexpectedly(String name, int exitCode, Path logFile) {
            listener.exitedUnexpectedly(name, exitCode, logFile);
            supervisor.restartAfterExit(name);
        }
    }

    /** The default listener: a crash shows up in the test output, not only in the log. */
    private static final class ReportUnexpectedExits implements ProcessListener {
        @Override
        public void exitedUnexpectedly(String name, int exitCode, Path logFile) {
            System.err.println("[LocalSystem] " + name + " exited unexpectedly with code " + exitCode + "; see " + logFile);
        }

        @Override
        public void retryingStart(String name, int attempt, Duration pause, String reason) {
            System.err.println("[LocalSystem] " + name + " did not start (" + reason + "); try " + attempt
                    + " in " + pause.toSeconds() + " s");
        }
    }
}
