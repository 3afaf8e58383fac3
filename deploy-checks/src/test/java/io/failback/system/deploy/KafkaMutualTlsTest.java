package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.failback.contracts.messaging.KafkaPrincipals;
import io.failback.contracts.messaging.Topics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kafka authenticates every service in every overlay (issue #16): with SCRAM over TLS (SASL_SSL) where the brokers
 * are Strimzi's or outside the cluster, and by certificate where the render runs its own broker (the dev overlay). That
 * broker takes only mutual TLS, names each client by its certificate's subject exactly as contracts'
 * {@link KafkaPrincipals#SSL_PRINCIPAL_MAPPING_RULES} says (judged by Kafka's own SslPrincipalMapper), lets ACLs decide
 * with only itself and its administrator as super users, and its administrator's Job applies exactly the ACLs of
 * {@link KafkaPrincipals} and makes exactly Failback's topics. Only that Job holds the administrator's certificate,
 * only the broker its own.
 */
class KafkaMutualTlsTest {
    private static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    private static final Set<String> UNAUTHENTICATED_PROTOCOLS = Set.of("PLAINTEXT", "SASL_PLAINTEXT");
    /** The subject job-service's hosts CA gives a registering host (job-service's HostsCa: O, OU, then CN). */
    private static final String HOST_SUBJECT = "CN=%s,OU=hosts,O=Failback";
    private static final String HOST_PROVIDER_ID = "HOST_AGENT_PROVIDER_ID";
    /** Who the dev overlay's certificates are, by Certificate: the services', the broker's, its administrator's and automation's. */
    private static final Map<String, String> PRINCIPAL_BY_CERTIFICATE = Map.of(
            "job-service-internal", KafkaPrincipals.JOB_SERVICE.name(),
            "sync-service-internal", KafkaPrincipals.SYNC_SERVICE.name(),
            "kafka", InClusterBroker.BROKER_PRINCIPAL,
            "kafka-admin", InClusterBroker.ADMIN_PRINCIPAL,
            "kafka-automation", KafkaPrincipals.AUTOMATION.name());
    private static final Pattern JOINED_INTO = Pattern.compile("^(.*)>\\s*(\\S+)\\s*$");

    /** Every listener demands a certificate (or a SCRAM login over TLS), the contracts' rules name it, ACLs decide. */
    @ParameterizedTest
    @MethodSource("overlaysWithABroker")
    void theBrokerTakesOnlyAuthenticatedClientsNamedByTheContractsRulesAndAuthorizesWithAcls(String overlay) {
        List<String> problems = new ArrayList<>();
        for (InClusterBroker broker : brokers(overlay)) {
            String where = broker + ": ";
            if (!KafkaPrincipals.SSL_PRINCIPAL_MAPPING_RULES.equals(broker.setting("ssl.principal.mapping.rules"))) {
                problems.add(where + "ssl.principal.mapping.rules=" + broker.setting("ssl.principal.mapping.rules")
                        + ", not KafkaPrincipals.SSL_PRINCIPAL_MAPPING_RULES " + KafkaPrincipals.SSL_PRINCIPAL_MAPPING_RULES);
            }
            broker.mappedProtocols().stream().filter(UNAUTHENTICATED_PROTOCOLS::contains)
                    .forEach(protocol -> problems.add(where + "listener.security.protocol.map names " + protocol + ", which authenticates no one"));
            if (broker.listeners().isEmpty()) {
                problems.add(where + "no listeners");
            }
            broker.listeners().keySet().forEach(listener -> {
                String protocol = broker.securityProtocol(listener);
                if (UNAUTHENTICATED_PROTOCOLS.contains(protocol)) {
                    problems.add(where + "listener " + listener + " is " + protocol);
                } else if (protocol.equals("SSL") && !"required".equals(broker.setting(listener, "ssl.client.auth"))) {
                    problems.add(where + "SSL listener " + listener + " has ssl.client.auth=" + broker.setting(listener, "ssl.client.auth")
                            + ": a client without a certificate would be ANONYMOUS");
                }
            });
            if (!"required".equals(broker.setting("ssl.client.auth"))) {
                problems.add(where + "ssl.client.auth=" + broker.setting("ssl.client.auth") + ", not required");
            }
            if (!STANDARD_AUTHORIZER.equals(broker.setting("authorizer.class.name"))) {
                problems.add(where + "authorizer.class.name=" + broker.setting("authorizer.class.name") + ", not " + STANDARD_AUTHORIZER);
            }
            if (!"false".equals(broker.setting("allow.everyone.if.no.acl.found"))) {
                problems.add(where + "allow.everyone.if.no.acl.found=" + broker.setting("allow.everyone.if.no.acl.found")
                        + ": what no ACL names must be denied");
            }
            Set<String> superUsers = Set.of("User:" + InClusterBroker.BROKER_PRINCIPAL, "User:" + InClusterBroker.ADMIN_PRINCIPAL);
            if (!broker.superUsers().equals(superUsers)) {
                problems.add(where + "super.users " + broker.superUsers() + ", not exactly " + superUsers);
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * The client listener trusts exactly the CAs of the broker's clients, the services' (the internal CA) and the hosts'
     * (the hosts CA), from their certificates alone, and, being the inter-broker listener, the CA of the broker's own
     * certificate (Kafka refuses to start unless that listener's truststore verifies its key store: SslFactory's
     * keystoreVerifiableUsingTruststore); the controller listener, which only the broker itself reaches, exactly the
     * CA of the broker's own certificate.
     */
    @ParameterizedTest
    @MethodSource("overlaysWithABroker")
    void theBrokerTrustsExactlyTheCasOfItsClients(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<InClusterBroker> brokers = brokers(overlay);
        List<String> problems = new ArrayList<>();
        // The hosts' identities come from the hosts CA, which the services name in FAILBACK_HOSTS_CA.
        Set<String> hostsCas = new TreeSet<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) ->
                certificateBehind(rendered, workload, container, rendered.literalEnvironment(container).get("FAILBACK_HOSTS_CA"))
                        .filter(certificate -> certificate.getSpec().ca()).ifPresent(ca -> hostsCas.add(ca.getSpec().secretName())));
        Set<String> clientCas = new TreeSet<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            Map<String, String> environment = rendered.literalEnvironment(container);
            if (Workload.moduleOf(container) == null || !environment.containsKey(KafkaClients.BOOTSTRAP_SERVERS)) {
                return;
            }
            if (environment.containsKey(HOST_PROVIDER_ID)) {
                clientCas.addAll(hostsCas);
            }
            certificateBehind(rendered, workload, container, environment.get(KafkaClients.KEYSTORE))
                    .flatMap(certificate -> issuingCaSecret(rendered, certificate)).ifPresent(clientCas::add);
        });
        for (InClusterBroker broker : brokers) {
            Optional<CertManagerCertificate> own = certificateBehind(rendered, broker.workload(), broker.container(),
                    broker.setting("ssl.keystore.location"));
            Set<String> ownCa = own.flatMap(certificate -> issuingCaSecret(rendered, certificate)).map(Set::of).orElse(Set.of());
            for (String listener : broker.listeners().keySet()) {
                boolean controller = List.of(Objects.requireNonNullElse(broker.setting("controller.listener.names"), "").split(",")).contains(listener);
                boolean interBroker = listener.equals(broker.setting("inter.broker.listener.name"));
                Set<String> trusted = trustedCas(rendered, broker, broker.setting(listener, "ssl.truststore.location"), problems);
                Set<String> expected = new TreeSet<>(controller ? Set.of() : clientCas);
                if (controller || interBroker) {
                    expected.addAll(ownCa);
                }
                if (!trusted.equals(expected)) {
                    problems.add(broker + " listener " + listener + " trusts the CAs of Secrets " + trusted + ", not those of "
                            + (controller ? "its own certificate " : interBroker ? "its clients and its own certificate " : "its clients ") + expected);
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Job kafka-acls adds exactly the ACLs of {@link KafkaPrincipals} as the launcher's broker applies them (Write on each
     * topic a principal writes, Read on each it reads, Read on its consumer group prefix; allowed from any host) and
     * makes exactly Failback's topics, connecting as the broker's administrator by certificate.
     */
    @ParameterizedTest
    @MethodSource("overlaysWithABroker")
    void theAdminJobAppliesExactlyTheContractsAclsAndMakesExactlyFailbacksTopics(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<InClusterBroker> brokers = brokers(overlay);
        List<KafkaAdminJob> jobs = KafkaAdminJob.in(rendered);
        List<String> problems = new ArrayList<>();
        if (jobs.size() != 1) {
            problems.add("one Job should make the topics and ACLs of the broker " + brokers + ", not " + jobs.size());
        }
        Set<String> expected = describe(contractAcls());
        for (KafkaAdminJob job : jobs) {
            Set<String> applied = describe(job.acls());
            Set<String> missing = new TreeSet<>(expected);
            missing.removeAll(applied);
            Set<String> extra = new TreeSet<>(applied);
            extra.removeAll(expected);
            missing.forEach(acl -> problems.add(job.workload() + " does not add " + acl));
            extra.forEach(acl -> problems.add(job.workload() + " adds " + acl + ", which KafkaPrincipals does not allow"));
            String topics = rendered.literalEnvironment(job.container()).getOrDefault(KafkaAdminJob.TOPICS, "");
            Set<String> made = new TreeSet<>(List.of(topics.trim().split("\\s+")));
            if (!made.equals(new TreeSet<>(Topics.ALL))) {
                problems.add(job.workload() + " makes topics " + made + ", Topics.ALL " + new TreeSet<>(Topics.ALL));
            }
            problems.addAll(adminClientProblems(rendered, job, brokers));
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Kafka's own SslPrincipalMapper, given the broker's rules, names the rendered certificates as the ACLs expect: the
     * services by their name, the broker and its administrator as its super users, automation as automation; any host
     * (whatever its provider id, even a service's name) host-agent; and it refuses a subject outside O=Failback.
     */
    @ParameterizedTest
    @MethodSource("overlaysWithABroker")
    void theBrokerNamesEveryCertificateAsKafkaPrincipalsDo(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<InClusterBroker> brokers = brokers(overlay);
        List<String> problems = new ArrayList<>();
        for (InClusterBroker broker : brokers) {
            SslPrincipalMapper mapper = SslPrincipalMapper.fromRules(broker.setting("ssl.principal.mapping.rules"));
            for (Map.Entry<String, String> expected : new TreeMap<>(PRINCIPAL_BY_CERTIFICATE).entrySet()) {
                Optional<CertManagerCertificate> certificate = rendered.named(CertManagerCertificate.class, expected.getKey());
                if (certificate.isEmpty()) {
                    problems.add("no Certificate " + expected.getKey() + " for principal " + expected.getValue());
                    continue;
                }
                String subject = subjectOf(certificate.get());
                String principal = principalOf(mapper, subject);
                if (!expected.getValue().equals(principal)) {
                    problems.add("Certificate " + expected.getKey() + " (" + subject + ") is " + principal + " to " + broker
                            + ", not " + expected.getValue());
                }
            }
            List<String> hostSubjects = new ArrayList<>(List.of(HOST_SUBJECT.formatted(KafkaPrincipals.JOB_SERVICE.name())));
            for (Workload host : rendered.workloadsRunning(Connections.HOST_MODULE)) {
                hostSubjects.add(HOST_SUBJECT.formatted(rendered.literalEnvironment(host.containers().get(0)).get(HOST_PROVIDER_ID)));
            }
            for (String subject : hostSubjects) {
                if (!KafkaPrincipals.HOST_AGENT.name().equals(principalOf(mapper, subject))) {
                    problems.add(subject + " is " + principalOf(mapper, subject) + " to " + broker + ", not " + KafkaPrincipals.HOST_AGENT.name());
                }
            }
            String foreign = "CN=" + KafkaPrincipals.JOB_SERVICE.name() + ",O=Other";
            try {
                problems.add(foreign + " is " + mapper.getName(foreign) + " to " + broker + ": a subject outside O=Failback must match no rule");
            } catch (SslPrincipalMapper.NoMatchingRule refused) {
                // Kafka closes the connection of a client whose subject no rule names.
            } catch (IOException e) {
                problems.add(foreign + ": " + e);
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Every service's Kafka client authenticates and checks the brokers' certificate: over SSL, to a broker of the render
     * whose listener on that port demands a client certificate, presenting the certificate the broker names as the
     * service's own principal; over SASL_SSL, as a SCRAM user with its password in a mounted folder. Nothing else.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyServicesKafkaClientAuthenticates(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        String namespace = rendered.namespace().getMetadata().getName();
        List<String> problems = new ArrayList<>();
        List<String> clients = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String module = Workload.moduleOf(container);
            Map<String, String> environment = rendered.literalEnvironment(container);
            String servers = environment.get(KafkaClients.BOOTSTRAP_SERVERS);
            if (module == null || servers == null) {
                return;
            }
            clients.add(workload.toString());
            String where = workload + " " + container.getName() + ": ";
            String protocol = environment.get(KafkaClients.SECURITY_PROTOCOL);
            if (environment.getOrDefault(KafkaClients.TRUSTSTORE, "").isBlank()) {
                problems.add(where + KafkaClients.TRUSTSTORE + " is not set: the brokers' certificate is not checked");
            }
            if ("SASL_SSL".equals(protocol)) {
                for (String variable : List.of(KafkaClients.SASL_USERNAME, KafkaClients.SASL_PASSWORD_DIR)) {
                    if (environment.getOrDefault(variable, "").isBlank()) {
                        problems.add(where + "SASL_SSL without " + variable);
                    }
                }
                return;
            }
            if (!"SSL".equals(protocol)) {
                problems.add(where + KafkaClients.SECURITY_PROTOCOL + "=" + protocol + ": the brokers do not know who it is");
                return;
            }
            String principal = KafkaPrincipals.ALL.stream().map(KafkaPrincipals.Access::name).filter(module::equals).findFirst().orElse(null);
            for (Address address : Address.in(servers)) {
                Optional<InClusterBroker> broker = brokerAt(rendered, namespace, address);
                Optional<String> listener = broker.flatMap(b -> b.listenerOn(targetPort(rendered, namespace, address, b)));
                if (broker.isEmpty() || listener.isEmpty() || !"SSL".equals(broker.get().securityProtocol(listener.get()))
                        || !"required".equals(broker.get().setting(listener.get(), "ssl.client.auth"))) {
                    problems.add(where + "SSL to " + address + ", which is no listener of the render's brokers that demands a client certificate");
                    continue;
                }
                SslPrincipalMapper mapper = SslPrincipalMapper.fromRules(broker.get().setting("ssl.principal.mapping.rules"));
                String subject = environment.containsKey(KafkaClients.KEYSTORE)
                        ? certificateBehind(rendered, workload, container, environment.get(KafkaClients.KEYSTORE)).map(KafkaMutualTlsTest::subjectOf).orElse(null)
                        : environment.containsKey(HOST_PROVIDER_ID) ? HOST_SUBJECT.formatted(environment.get(HOST_PROVIDER_ID)) : null;
                if (subject == null) {
                    problems.add(where + "presents no certificate of the render (" + KafkaClients.KEYSTORE + "=" + environment.get(KafkaClients.KEYSTORE) + ")");
                    continue;
                }
                String named = principalOf(mapper, subject);
                if (principal == null || !principal.equals(named)) {
                    problems.add(where + "presents " + subject + ", which " + broker.get() + " names " + named + ", not " + module + "'s principal " + principal);
                }
            }
        });
        if (clients.isEmpty()) {
            problems.add("no service sets " + KafkaClients.BOOTSTRAP_SERVERS);
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * A super user's key is where it is used and nowhere else: the administrator's certificate in the Job that applies the
     * ACLs, the broker's in the broker. The automation certificate is for your automation clients: no workload of the
     * overlay mounts it.
     */
    @ParameterizedTest
    @MethodSource("overlaysWithABroker")
    void onlyTheAdminJobHoldsTheAdminsKeyAndOnlyTheBrokerItsOwn(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<InClusterBroker> brokers = brokers(overlay);
        List<String> problems = new ArrayList<>();
        SslPrincipalMapper mapper = SslPrincipalMapper.fromRules(brokers.get(0).setting("ssl.principal.mapping.rules"));
        Map<String, List<Workload>> holders = new LinkedHashMap<>();
        holders.put(InClusterBroker.ADMIN_PRINCIPAL, KafkaAdminJob.in(rendered).stream().map(KafkaAdminJob::workload).toList());
        holders.put(InClusterBroker.BROKER_PRINCIPAL, brokers.stream().map(InClusterBroker::workload).toList());
        holders.put(KafkaPrincipals.AUTOMATION.name(), List.of());
        for (Map.Entry<String, List<Workload>> holder : holders.entrySet()) {
            List<String> secrets = rendered.all(CertManagerCertificate.class).stream().filter(certificate -> !certificate.getSpec().ca())
                    .filter(certificate -> holder.getKey().equals(principalOrNull(mapper, subjectOf(certificate))))
                    .map(certificate -> certificate.getSpec().secretName()).toList();
            if (secrets.isEmpty()) {
                problems.add("no Certificate for principal " + holder.getKey());
            }
            for (String secret : secrets) {
                List<Workload> mounting = rendered.workloads().stream().filter(workload -> mounts(workload, secret)).toList();
                if (!mounting.equals(holder.getValue())) {
                    problems.add("Secret " + secret + " (principal " + holder.getKey() + ") is mounted by " + mounting + ", not by " + holder.getValue());
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /** For {@code @MethodSource}: the overlays that run a broker of their own (dev). */
    static Stream<String> overlaysWithABroker() {
        return Deploy.overlays().filter(overlay -> !InClusterBroker.in(Deploy.overlay(overlay)).isEmpty());
    }

    private static List<InClusterBroker> brokers(String overlay) {
        return InClusterBroker.in(Deploy.overlay(overlay));
    }

    /** The ACLs of the contracts' table, as the launcher's KafkaAccess#bindings makes them. */
    private static Set<AclBinding> contractAcls() {
        Set<AclBinding> acls = new LinkedHashSet<>();
        for (KafkaPrincipals.Access access : KafkaPrincipals.ALL) {
            access.writes().forEach(topic -> acls.add(allow(access.name(), ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.WRITE)));
            access.reads().forEach(topic -> acls.add(allow(access.name(), ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.READ)));
            if (access.groupPrefix() != null) {
                acls.add(allow(access.name(), ResourceType.GROUP, access.groupPrefix(), PatternType.PREFIXED, AclOperation.READ));
            }
        }
        return acls;
    }

    private static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + principal, "*", operation, AclPermissionType.ALLOW));
    }

    private static Set<String> describe(Set<AclBinding> acls) {
        Set<String> described = new TreeSet<>();
        acls.forEach(acl -> described.add(acl.entry().principal() + " " + acl.entry().permissionType() + " " + acl.entry().operation() + " "
                + acl.pattern().resourceType() + " " + acl.pattern().name() + " " + acl.pattern().patternType() + " from " + acl.entry().host()));
        return described;
    }

    /**
     * The Job's kafka-acls.sh calls connect with the settings it writes: SSL, presenting a certificate the broker names
     * as its administrator, and checking the broker's certificate against the CA that signed it.
     */
    private static List<String> adminClientProblems(RenderedOverlay rendered, KafkaAdminJob job, List<InClusterBroker> brokers) {
        List<String> problems = new ArrayList<>();
        Map<String, Properties> written = job.writtenProperties();
        for (String file : job.aclCommandConfigs()) {
            Properties settings = written.get(file);
            String where = job.workload() + " --command-config " + file + ": ";
            if (settings == null) {
                problems.add(where + "the script does not write it");
                continue;
            }
            if (!"SSL".equals(settings.getProperty("security.protocol"))) {
                problems.add(where + "security.protocol=" + settings.getProperty("security.protocol") + ", not SSL");
            }
            for (InClusterBroker broker : brokers) {
                SslPrincipalMapper mapper = SslPrincipalMapper.fromRules(broker.setting("ssl.principal.mapping.rules"));
                String presented = certificateBehind(rendered, job.workload(), job.container(), settings.getProperty("ssl.keystore.location"))
                        .map(KafkaMutualTlsTest::subjectOf).map(subject -> principalOrNull(mapper, subject)).orElse(null);
                if (!InClusterBroker.ADMIN_PRINCIPAL.equals(presented)) {
                    problems.add(where + "presents " + presented + " to " + broker + ", not " + InClusterBroker.ADMIN_PRINCIPAL);
                }
                Optional<String> brokersCa = certificateBehind(rendered, broker.workload(), broker.container(), broker.setting("ssl.keystore.location"))
                        .flatMap(certificate -> issuingCaSecret(rendered, certificate));
                Optional<String> trusted = MountedFile.of(job.workload(), job.container(), Objects.requireNonNullElse(settings.getProperty("ssl.truststore.location"), ""))
                        .flatMap(MountedFile::secretName);
                if (brokersCa.isEmpty() || !brokersCa.equals(trusted)) {
                    problems.add(where + "trusts the CA of " + trusted + ", not the one that signed " + broker + "'s certificate " + brokersCa);
                }
            }
        }
        if (job.aclCommandConfigs().isEmpty()) {
            problems.add(job.workload() + ": kafka-acls.sh runs without --command-config, as no one");
        }
        return problems;
    }

    /**
     * The CAs whose certificates a truststore file holds: a file on a CA's Secret, or one the broker's command joins from
     * such files ({@code ... > file}). A CA's key in it is a problem.
     */
    private static Set<String> trustedCas(RenderedOverlay rendered, InClusterBroker broker, String file, List<String> problems) {
        Set<String> cas = new TreeSet<>();
        if (file == null) {
            problems.add(broker + ": a listener has no ssl.truststore.location");
            return cas;
        }
        List<String> sources = new ArrayList<>();
        for (String line : broker.command().split("\n")) {
            Matcher joined = JOINED_INTO.matcher(line);
            if (joined.matches() && joined.group(2).equals(file)) {
                KafkaAdminJob.words(joined.group(1).replaceAll("[{};]", " ")).stream().filter(word -> word.startsWith("/")).forEach(sources::add);
            }
        }
        if (sources.isEmpty()) {
            sources.add(file);
        }
        for (String source : sources) {
            Optional<MountedFile> mounted = MountedFile.of(broker.workload(), broker.container(), source);
            Optional<CertManagerCertificate> certificate = mounted.flatMap(MountedFile::secretName)
                    .flatMap(secret -> rendered.all(CertManagerCertificate.class).stream()
                            .filter(candidate -> candidate.getSpec().secretName().equals(secret)).findFirst());
            if (certificate.isEmpty() || mounted.get().key() == null || mounted.get().key().equals("tls.key")) {
                problems.add(broker + ": truststore " + file + " takes " + source + ", which is no certificate of a cert-manager Secret");
                continue;
            }
            // ca.crt is the CA of the Certificate; tls.crt of a CA's own Secret is that CA.
            if (mounted.get().key().equals("ca.crt")) {
                issuingCaSecret(rendered, certificate.get()).ifPresent(cas::add);
            } else if (certificate.get().getSpec().ca() && mounted.get().key().equals("tls.crt")) {
                cas.add(certificate.get().getSpec().secretName());
            } else {
                problems.add(broker + ": truststore " + file + " takes " + source + ", a leaf certificate, not a CA's");
            }
        }
        return cas;
    }

    /** The Secret of the CA that signs a Certificate: its own for a self-signed CA, its CA Issuer's otherwise. */
    private static Optional<String> issuingCaSecret(RenderedOverlay rendered, CertManagerCertificate certificate) {
        return rendered.named(CertManagerIssuer.class, certificate.getSpec().issuerRef().name()).flatMap(issuer -> issuer.getSpec().ca() != null
                ? Optional.of(issuer.getSpec().ca().secretName())
                : certificate.getSpec().ca() ? Optional.of(certificate.getSpec().secretName()) : Optional.empty());
    }

    /** The Certificate whose Secret holds a file the container reads, through its mounts. */
    private static Optional<CertManagerCertificate> certificateBehind(RenderedOverlay rendered, Workload workload, Container container, String file) {
        if (file == null || file.isBlank()) {
            return Optional.empty();
        }
        return MountedFile.of(workload, container, file).filter(mounted -> mounted.key() != null).flatMap(MountedFile::secretName)
                .flatMap(secret -> rendered.all(CertManagerCertificate.class).stream()
                        .filter(certificate -> certificate.getSpec().secretName().equals(secret)).findFirst());
    }

    /** The broker behind a bootstrap address: a Service of the render that selects it. */
    private static Optional<InClusterBroker> brokerAt(RenderedOverlay rendered, String namespace, Address address) {
        Optional<Service> service = Optional.ofNullable(address.serviceName(namespace)).flatMap(name -> rendered.named(Service.class, name));
        return service.flatMap(s -> InClusterBroker.in(rendered).stream()
                .filter(broker -> Selectors.matches(s.getSpec().getSelector(), broker.workload().podLabels())).findFirst());
    }

    /** The container port a Service's port leads to. */
    private static int targetPort(RenderedOverlay rendered, String namespace, Address address, InClusterBroker broker) {
        Service service = rendered.named(Service.class, address.serviceName(namespace)).orElseThrow();
        Optional<ServicePort> port = service.getSpec().getPorts().stream().filter(candidate -> candidate.getPort() == address.port()).findFirst();
        if (port.isEmpty()) {
            return -1;
        }
        OptionalInt target = port.get().getTargetPort() == null ? OptionalInt.of(address.port())
                : RenderedOverlay.resolvePort(port.get().getTargetPort(), List.of(broker.container()));
        return target.orElse(-1);
    }

    private static boolean mounts(Workload workload, String secret) {
        return Objects.requireNonNullElse(workload.template().getSpec().getVolumes(), List.<Volume>of()).stream()
                .anyMatch(volume -> volume.getSecret() != null && secret.equals(volume.getSecret().getSecretName()));
    }

    /**
     * A Certificate's subject as RFC 2253 writes it, the string Kafka maps: cert-manager encodes O, then OU, then CN, and
     * RFC 2253 lists them last first.
     */
    static String subjectOf(CertManagerCertificate certificate) {
        CertManagerCertificate.Spec spec = certificate.getSpec();
        CertManagerCertificate.Subject subject = Objects.requireNonNullElse(spec.subject(), new CertManagerCertificate.Subject(null, null));
        List<String> names = new ArrayList<>();
        if (spec.commonName() != null) {
            names.add("CN=" + plain(spec.commonName()));
        }
        for (List<String> values : List.of(Objects.requireNonNullElse(subject.organizationalUnits(), List.<String>of()),
                Objects.requireNonNullElse(subject.organizations(), List.<String>of()))) {
            if (values.size() > 1) {
                throw new IllegalArgumentException("Certificate " + certificate.getMetadata().getName() + ": several values " + values
                        + " make one multi-valued name, which these checks do not build");
            }
        }
        Objects.requireNonNullElse(subject.organizationalUnits(), List.<String>of()).forEach(unit -> names.add("OU=" + plain(unit)));
        Objects.requireNonNullElse(subject.organizations(), List.<String>of()).forEach(organization -> names.add("O=" + plain(organization)));
        return String.join(",", names);
    }

    /** A value that RFC 2253 writes as it is; one it would escape is not built here. */
    private static String plain(String value) {
        if (!value.matches("[A-Za-z0-9 ._-]+")) {
            throw new IllegalArgumentException("'" + value + "' would be escaped in RFC 2253, which these checks do not do");
        }
        return value;
    }

    private static String principalOf(SslPrincipalMapper mapper, String subject) {
        try {
            return mapper.getName(subject);
        } catch (IOException e) {
            return "refused (" + e.getMessage() + ")";
        }
    }

    private static String principalOrNull(SslPrincipalMapper mapper, String subject) {
        try {
            return mapper.getName(subject);
        } catch (IOException e) {
            return null;
        }
    }
}
