package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.failback.contracts.messaging.KafkaPrincipals;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS between services (issue #16, docs/security.md) as the overlays deploy it: on in every overlay, every file a
 * service's TLS variables name is really mounted, each service presents a certificate in its own name from the
 * internal CA, the sites grant exactly the names the certificates carry (never the launcher's local-only identity),
 * the hosts CA is a CA of its own, and a host may reach job-service on its API port alone (to register).
 */
class InternalTlsTest {
    static final String SWITCH = "FAILBACK_INTERNAL_TLS";
    /** What a client of the sites (sync-service, job-service) reads: its certificate, key, the internal CA, the hosts CA. */
    static final List<String> CLIENT_FILES = List.of("FAILBACK_INTERNAL_TLS_CERT", "FAILBACK_INTERNAL_TLS_KEY",
            "FAILBACK_INTERNAL_TLS_CA", "FAILBACK_HOSTS_CA");
    /** What a site (azure-sim, a host) serves with: Quarkus's TLS registry, PEM. */
    static final List<String> SERVER_FILES = List.of("QUARKUS_TLS_KEY_STORE_PEM_SERVER_CERT", "QUARKUS_TLS_KEY_STORE_PEM_SERVER_KEY",
            "QUARKUS_TLS_TRUST_STORE_PEM_CERTS");
    /** Other files that TLS, registration and the Kafka client read, checked wherever they are set. */
    static final List<String> OTHER_FILES = List.of("FAILBACK_HOSTS_CA_CERT_FILE", "FAILBACK_HOSTS_CA_KEY_FILE",
            "HOST_AGENT_JOB_SERVICE_CA_FILE", "HOST_AGENT_REGISTRATION_KEY_FILE", KafkaClients.KEYSTORE, KafkaClients.TRUSTSTORE);
    /** A site authorizes its callers by their certificate's CN with this file (quarkus.http.auth.certificate-role-properties). */
    static final String CALLERS_FILE = "internal-callers.properties";
    /** The launcher's own clients' identity (./failback demo, bench, the end-to-end tests): local only, never in a cluster. */
    static final String LOCAL_ONLY_CALLER = "failback-launcher";
    /** failback.internal-tls.azure-identity's default in sync-service and job-service: the CN they require of azure-sim. */
    static final String AZURE_IDENTITY = "azure-sim";
    static final String AZURE_URL = "FAILBACK_AZURE_URL";
    static final String HOST_MODULE = "host-agent";
    static final String API_MODULE = "job-service";

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyServiceRunsWithTlsBetweenServicesAndCallsTheSitesOverHttps(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String module = Workload.moduleOf(container);
            if (module == null || !Deploy.service(module).reads(SWITCH)) {
                return;
            }
            Map<String, String> environment = rendered.literalEnvironment(container);
            String where = workload + " " + container.getName() + ": ";
            if (!"true".equals(environment.get(SWITCH))) {
                problems.add(where + SWITCH + "=" + environment.get(SWITCH) + ", not true");
            }
            List<String> required = new ArrayList<>();
            if (isClientOfTheSites(module)) {
                required.addAll(CLIENT_FILES);
            }
            if (isSite(module)) {
                required.addAll(SERVER_FILES);
                if (!"disabled".equals(environment.get(Listener.INSECURE_REQUESTS))) {
                    problems.add(where + "a site that serves plain HTTP beside HTTPS (" + Listener.INSECURE_REQUESTS + " is not disabled)");
                }
            }
            required.stream().filter(variable -> environment.getOrDefault(variable, "").isBlank())
                    .forEach(variable -> problems.add(where + variable + " is not set"));
            for (String variable : List.of(AZURE_URL, Connections.HOST_ADVERTISED_URL)) {
                String url = environment.get(variable);
                if (url != null && !url.startsWith("https://")) {
                    problems.add(where + variable + "=" + url + ": a site is called over HTTPS");
                }
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Every file a TLS or registration variable names is where the pod has it: under a Secret's mount, as a key the
     * Secret has (and its items project), or on the workload's own volume claim (a host's identity, which it writes when
     * it registers). Not in the image, not in an emptyDir.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyFileTheTlsVariablesNameIsMounted(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        List<String> checked = new ArrayList<>();
        for (Workload workload : rendered.workloads()) {
            for (Container container : workload.containers()) {
                if (Workload.moduleOf(container) == null) {
                    continue;
                }
                Map<String, String> environment = rendered.literalEnvironment(container);
                for (String variable : fileVariables()) {
                    String file = environment.get(variable);
                    if (file == null || file.isBlank()) {
                        continue;
                    }
                    checked.add(variable);
                    mountedFile(rendered, workload, container, Path.of(file)).ifPresent(problem ->
                            problems.add(workload + " " + container.getName() + ": " + variable + "=" + file + " " + problem));
                }
            }
        }
        if (checked.isEmpty()) {
            problems.add("no service names a TLS file");
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * The leaf certificates are each a service's own identity or one for Kafka alone: a caller's CN is one the sites'
     * internal-callers.properties grant, azure-sim's is the one its clients require, and any other is a Kafka principal
     * (of KafkaPrincipals, or a super user of a broker the overlay runs), which the sites grant nothing; the launcher's
     * local-only identity is never issued. Each client presents the certificate in its own name, azure-sim serves its own
     * under the name its clients call it by; every service certificate is for server and client authentication, every
     * Kafka one at least for client authentication, each on an ECDSA P-256 key.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void theCertificatesNameTheServicesTheSitesKnow(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        Set<String> callers = siteCallers();
        Set<String> kafkaPrincipals = new TreeSet<>();
        KafkaPrincipals.ALL.forEach(access -> kafkaPrincipals.add(access.name()));
        InClusterBroker.in(rendered).forEach(broker -> broker.superUsers().forEach(user -> kafkaPrincipals.add(user.replaceFirst("^User:", ""))));
        List<String> problems = new ArrayList<>();
        List<CertManagerCertificate> certificates = rendered.all(CertManagerCertificate.class);
        if (certificates.isEmpty()) {
            problems.add("no cert-manager Certificate: nothing issues the services' identities");
        }
        for (CertManagerCertificate certificate : certificates) {
            CertManagerCertificate.Spec spec = certificate.getSpec();
            String name = "Certificate " + certificate.getMetadata().getName();
            List<String> names = new ArrayList<>(spec.dnsNamesOrNone());
            names.add(spec.commonName());
            if (names.contains(LOCAL_ONLY_CALLER)) {
                problems.add(name + " issues " + LOCAL_ONLY_CALLER + ", the launcher's local-only identity");
            }
            if (spec.ca()) {
                continue;
            }
            boolean serviceIdentity = callers.contains(spec.commonName()) || AZURE_IDENTITY.equals(spec.commonName());
            if (!serviceIdentity && !kafkaPrincipals.contains(spec.commonName())) {
                problems.add(name + ": CN=" + spec.commonName() + " is neither a caller the sites grant " + callers
                        + " nor azure-sim's identity nor a Kafka principal " + kafkaPrincipals);
            }
            List<String> usages = serviceIdentity ? List.of("server auth", "client auth") : List.of("client auth");
            if (!spec.usagesOrDefault().containsAll(usages)) {
                problems.add(name + ": usages " + spec.usagesOrDefault() + " lack one of " + usages);
            }
            CertManagerCertificate.PrivateKey key = spec.privateKey();
            if (key == null || !"ECDSA".equals(key.algorithm()) || !Integer.valueOf(256).equals(key.size())) {
                problems.add(name + ": not an ECDSA P-256 key: " + key);
            }
        }
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String module = Workload.moduleOf(container);
            if (module == null) {
                return;
            }
            Map<String, String> environment = rendered.literalEnvironment(container);
            String where = workload + " " + container.getName() + ": ";
            if (isClientOfTheSites(module)) {
                Optional<CertManagerCertificate> own = certificateBehind(rendered, workload, container, environment.get("FAILBACK_INTERNAL_TLS_CERT"));
                if (own.isEmpty() || !module.equals(own.get().getSpec().commonName())) {
                    problems.add(where + "presents " + own.map(c -> "CN=" + c.getSpec().commonName()).orElse("no Certificate's") + ", not CN=" + module);
                }
            }
            if (module.equals(AZURE_IDENTITY)) {
                Optional<CertManagerCertificate> own = certificateBehind(rendered, workload, container,
                        environment.get("QUARKUS_TLS_KEY_STORE_PEM_SERVER_CERT"));
                if (own.isEmpty() || !AZURE_IDENTITY.equals(own.get().getSpec().commonName())) {
                    problems.add(where + "serves " + own.map(c -> "CN=" + c.getSpec().commonName()).orElse("no Certificate's") + ", not CN=" + AZURE_IDENTITY);
                }
            }
            String azureUrl = environment.get(AZURE_URL);
            if (azureUrl != null) {
                String host = URI.create(azureUrl).getHost();
                boolean named = certificates.stream().filter(c -> AZURE_IDENTITY.equals(c.getSpec().commonName()))
                        .anyMatch(c -> c.getSpec().dnsNamesOrNone().contains(host));
                if (!named) {
                    problems.add(where + AZURE_URL + "=" + azureUrl + ": azure-sim's Certificate does not name " + host);
                }
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Two CAs: the clients trust hosts by the hosts CA alone, which is not the CA that issues the services' identities,
     * so that no service's certificate can pose as a host; job-service holds the hosts CA's key, and no pod holds the key
     * of any CA else (the internal CA, the hosts CA, a Kafka cluster CA).
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void theHostsCaIsACaOfItsOwnWhoseKeyOnlyJobServiceHolds(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        Set<String> serviceCaSecrets = new HashSet<>();
        for (CertManagerIssuer issuer : rendered.all(CertManagerIssuer.class)) {
            if (issuer.getSpec().ca() != null) {
                serviceCaSecrets.add(issuer.getSpec().ca().secretName());
            }
        }
        Set<String> hostsCaSecrets = new TreeSet<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String module = Workload.moduleOf(container);
            if (module == null) {
                return;
            }
            Map<String, String> environment = rendered.literalEnvironment(container);
            String where = workload + " " + container.getName() + ": ";
            Optional<CertManagerCertificate> hostsCa = certificateBehind(rendered, workload, container, environment.get("FAILBACK_HOSTS_CA"));
            if (isClientOfTheSites(module)) {
                if (hostsCa.isEmpty() || !hostsCa.get().getSpec().ca()) {
                    problems.add(where + "FAILBACK_HOSTS_CA is not a cert-manager CA's certificate");
                } else {
                    hostsCaSecrets.add(hostsCa.get().getSpec().secretName());
                }
            }
        });
        // Every pod, whatever it runs (a Kafka broker, a Job too), gets a CA's certificate at most, never its key.
        List<Workload> apis = rendered.workloadsRunning(API_MODULE);
        for (Workload workload : rendered.workloads()) {
            for (Volume volume : Objects.requireNonNullElse(workload.template().getSpec().getVolumes(), List.<Volume>of())) {
                if (volume.getSecret() == null || !isCaSecret(rendered, volume.getSecret().getSecretName())) {
                    continue;
                }
                List<KeyToPath> items = volume.getSecret().getItems();
                boolean projectsKey = items == null || items.isEmpty() || items.stream().anyMatch(item -> item.getKey().equals("tls.key"));
                boolean signsHosts = apis.contains(workload) && hostsCaSecrets.contains(volume.getSecret().getSecretName());
                if (projectsKey && !signsHosts) {
                    problems.add(workload + ": mounts the key of CA " + volume.getSecret().getSecretName());
                }
            }
        }
        hostsCaSecrets.stream().filter(serviceCaSecrets::contains)
                .forEach(secret -> problems.add("the hosts CA " + secret + " also issues the services' certificates"));
        if (hostsCaSecrets.size() != 1) {
            problems.add("the clients trust hosts by " + hostsCaSecrets + ", not by one hosts CA");
        }
        Deploy.assertNone(overlay, problems);
    }

    /** A host calls job-service to register, on its API port and no other; job-service's other ports stay shut to it. */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void aHostReachesJobServiceOnlyOnItsApiPort(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        TrafficRules rules = new TrafficRules(rendered);
        List<String> problems = new ArrayList<>();
        List<Workload> hosts = rendered.workloadsRunning(HOST_MODULE);
        List<Workload> apis = rendered.workloadsRunning(API_MODULE);
        assertFalse(hosts.isEmpty() || apis.isEmpty(), overlay + ": no host or no job-service");
        for (Workload api : apis) {
            int apiPort = api.containers().stream().filter(container -> API_MODULE.equals(Workload.moduleOf(container)))
                    .map(container -> Listener.of(rendered, container, API_MODULE).port()).findFirst().orElseThrow();
            for (Workload host : hosts) {
                if (!rules.allows(rules.pod(host), rules.pod(api), TrafficRules.TCP, apiPort)) {
                    problems.add(host + " cannot reach " + api + ":" + apiPort + " to register");
                }
                for (int port = 1; port <= 65535; port++) {
                    if (port != apiPort && rules.allows(rules.pod(host), rules.pod(api), TrafficRules.TCP, port)) {
                        problems.add(host + " may reach " + api + ":" + port + ", not only its API port " + apiPort);
                        break;
                    }
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Prometheus scrapes each site over HTTPS and checks its certificate as the services do: against the CA that signed
     * it (the internal CA for azure-sim, the hosts CA for a host) and under a name the certificate carries (azure-sim's
     * dnsNames; for a host, the host name of the URL it advertises, which registration puts in its certificate).
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.MonitoringTest#monitoredOverlays")
    void prometheusChecksEachSitesCertificateAsTheServicesDo(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        Set<String> hostsCaSecrets = new TreeSet<>();
        Set<String> internalCaSecrets = new TreeSet<>();
        for (CertManagerCertificate certificate : rendered.all(CertManagerCertificate.class)) {
            String issuer = certificate.getSpec().issuerRef().name();
            boolean byInternalCa = rendered.all(CertManagerIssuer.class).stream().anyMatch(candidate -> candidate.getMetadata().getName().equals(issuer)
                    && candidate.getSpec().ca() != null);
            if (byInternalCa) {
                internalCaSecrets.add(certificate.getSpec().secretName());
            }
        }
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String hostsCa = rendered.literalEnvironment(container).get("FAILBACK_HOSTS_CA");
            certificateBehind(rendered, workload, container, hostsCa).ifPresent(ca -> hostsCaSecrets.add(ca.getSpec().secretName()));
        });
        for (MonitoringTest.Scrape scrape : MonitoringTest.scrapes(rendered, problems)) {
            String module = scrape.workload().containers().stream().map(Workload::moduleOf).filter(Objects::nonNull).findFirst().orElseThrow();
            if (!isSite(module)) {
                continue;
            }
            MonitoringTest.Tls tls = scrape.tls();
            String where = scrape.monitor() + " scrapes " + scrape.workload();
            if (!"https".equalsIgnoreCase(scrape.scheme()) || tls == null || tls.skipsVerification()) {
                problems.add(where + " without checking its certificate over HTTPS");
                continue;
            }
            Map<String, String> environment = rendered.literalEnvironment(scrape.workload().containers().get(0));
            boolean host = module.equals(HOST_MODULE);
            Set<String> trusted = host ? hostsCaSecrets : internalCaSecrets;
            if (!trusted.contains(tls.caSecret())) {
                problems.add(where + " trusting the CA of Secret " + tls.caSecret() + ", not " + (host ? "the hosts CA " : "the internal CA ") + trusted);
            }
            List<String> names = host
                    ? Optional.ofNullable(environment.get(Connections.HOST_ADVERTISED_URL)).map(url -> List.of(URI.create(url).getHost())).orElse(List.of())
                    : rendered.all(CertManagerCertificate.class).stream().filter(c -> module.equals(c.getSpec().commonName()))
                            .flatMap(c -> c.getSpec().dnsNamesOrNone().stream()).toList();
            if (!names.contains(tls.serverName())) {
                problems.add(where + " under the name " + tls.serverName() + ", which its certificate does not carry " + names);
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    private static List<String> fileVariables() {
        List<String> all = new ArrayList<>(CLIENT_FILES);
        all.addAll(SERVER_FILES);
        all.addAll(OTHER_FILES);
        return all;
    }

    private static boolean isClientOfTheSites(String module) {
        return Deploy.service(module).reads("FAILBACK_INTERNAL_TLS_CERT");
    }

    /** A site authorizes callers by their certificate's CN: it has internal-callers.properties. */
    static boolean isSite(String module) {
        return Files.isRegularFile(callersFile(module));
    }

    private static Path callersFile(String module) {
        return Deploy.PROJECT.root().resolve(module).resolve("src/main/resources").resolve(CALLERS_FILE);
    }

    /** The CNs the sites grant a role, in every site's internal-callers.properties. */
    static Set<String> siteCallers() {
        Set<String> callers = new TreeSet<>();
        for (String module : Deploy.PROJECT.serviceModules()) {
            if (!isSite(module)) {
                continue;
            }
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(callersFile(module))) {
                properties.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            callers.addAll(properties.stringPropertyNames());
        }
        return callers;
    }

    private static boolean isCaSecret(RenderedOverlay rendered, String secret) {
        return rendered.all(CertManagerCertificate.class).stream()
                .anyMatch(certificate -> certificate.getSpec().ca() && certificate.getSpec().secretName().equals(secret));
    }

    /** The Certificate whose Secret holds the file, when the file is under a mount of such a Secret. */
    private static Optional<CertManagerCertificate> certificateBehind(RenderedOverlay rendered, Workload workload, Container container, String file) {
        if (file == null || file.isBlank()) {
            return Optional.empty();
        }
        return mount(workload, container, Path.of(file))
                .map(Map.Entry::getValue)
                .filter(volume -> volume.getSecret() != null)
                .flatMap(volume -> rendered.all(CertManagerCertificate.class).stream()
                        .filter(certificate -> certificate.getSpec().secretName().equals(volume.getSecret().getSecretName()))
                        .findFirst());
    }

    /** The deepest mount that holds the file, with its volume (a volume claim template's as a claim). */
    private static Optional<Map.Entry<VolumeMount, Volume>> mount(Workload workload, Container container, Path file) {
        Map<String, Volume> volumes = new LinkedHashMap<>();
        workload.claims().forEach(claim -> volumes.put(claim.getMetadata().getName(), new VolumeBuilder().withName(claim.getMetadata().getName())
                .withNewPersistentVolumeClaim().withClaimName(claim.getMetadata().getName()).endPersistentVolumeClaim().build()));
        Objects.requireNonNullElse(workload.template().getSpec().getVolumes(), List.<Volume>of()).forEach(volume -> volumes.put(volume.getName(), volume));
        return Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of()).stream()
                .filter(mount -> file.startsWith(mount.getMountPath()) && volumes.containsKey(mount.getName()))
                .max((a, b) -> Integer.compare(a.getMountPath().length(), b.getMountPath().length()))
                .map(mount -> Map.entry(mount, volumes.get(mount.getName())));
    }

    /** Why the file is not where the container can read it, or nothing when it is. */
    private static Optional<String> mountedFile(RenderedOverlay rendered, Workload workload, Container container, Path file) {
        Optional<Map.Entry<VolumeMount, Volume>> found = mount(workload, container, file);
        if (found.isEmpty()) {
            return Optional.of("is under no volume mount: it would have to be in the image");
        }
        VolumeMount mount = found.get().getKey();
        Volume volume = found.get().getValue();
        String relative = Path.of(mount.getMountPath()).relativize(file).toString();
        if (volume.getPersistentVolumeClaim() != null) {
            return Optional.empty();
        }
        if (volume.getSecret() == null) {
            return Optional.of("is on volume " + volume.getName() + ", which is neither a Secret nor the workload's claim");
        }
        String secret = volume.getSecret().getSecretName();
        List<KeyToPath> items = volume.getSecret().getItems();
        if (items != null && !items.isEmpty()) {
            Optional<KeyToPath> item = items.stream().filter(candidate -> candidate.getPath().equals(relative)).findFirst();
            if (item.isEmpty()) {
                return Optional.of("is not among the items " + items.stream().map(KeyToPath::getPath).toList() + " of Secret " + secret);
            }
            return keyOf(rendered, secret, item.get().getKey());
        }
        return keyOf(rendered, secret, relative);
    }

    /** Whether the Secret has the key, where the render or an operator (cert-manager) says which keys it has. */
    private static Optional<String> keyOf(RenderedOverlay rendered, String secret, String key) {
        Optional<Secret> inRender = rendered.named(Secret.class, secret);
        Set<String> keys = inRender.map(s -> {
            Set<String> all = new HashSet<>(Objects.requireNonNullElse(s.getData(), Map.<String, String>of()).keySet());
            all.addAll(Objects.requireNonNullElse(s.getStringData(), Map.<String, String>of()).keySet());
            return all;
        }).orElse(rendered.operands.secrets.get(secret));
        if (keys == null) {
            // A Secret made by hand (job-service-tls, a host's registration key): deploy/README.md says which keys it has.
            return Optional.empty();
        }
        return keys.contains(key) ? Optional.empty() : Optional.of("names key " + key + ", which Secret " + secret + " does not have " + keys);
    }
}
