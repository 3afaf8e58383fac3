package io.failback.hostagent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.hosts.HostCertificate;
import io.failback.contracts.hosts.HostRegistration;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Registers this host with job-service at its first start, before Quarkus (and its HTTPS server, which serves the
 * identity) boots: it makes a key pair, presents the one-time registration key read from
 * {@code HOST_AGENT_REGISTRATION_KEY_FILE} with the host's id, name, address, switches and public key, and stores the
 * certificate it gets ({@link HostIdentity}). While job-service cannot be reached it waits and tries again; a refusal
 * (a key unknown, used, expired or revoked; a host of that id registered already) ends the process with a message
 * and exit code {@value #REFUSED_EXIT_CODE}. With an identity present it does nothing. The key is never logged.
 * <p>
 * It reads the same environment variables as the configuration ({@code HOST_AGENT_*}, with the same defaults), as
 * Quarkus's configuration does not exist yet.
 */
public final class HostRegistrar {
    public static final int REFUSED_EXIT_CODE = 78;
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> environment;

    HostRegistrar(Map<String, String> environment) {
        this.environment = environment;
    }

    /** Thrown when job-service refused the registration: trying again cannot help. */
    static final class RegistrationRefused extends Exception {
        RegistrationRefused(String message) {
            super(message);
        }
    }

    /** Where this host keeps its disks and its identity. */
    Path storageDir() {
        return Path.of(setting("HOST_AGENT_STORAGE_DIR", ".failback/data/hosts/host-a"));
    }

    /** Registers when there is no identity yet and a key file is given; answers what happened, for the log. */
    String ensureIdentity() throws RegistrationRefused, InterruptedException {
        Path storageDir = storageDir();
        if (HostIdentity.exists(storageDir)) {
            return "host identity found in " + storageDir.resolve(HostIdentity.DIRECTORY);
        }
        String keyFile = environment.get("HOST_AGENT_REGISTRATION_KEY_FILE");
        if (keyFile == null || keyFile.isBlank()) {
            return "this host has no identity and no HOST_AGENT_REGISTRATION_KEY_FILE: it runs unregistered, and job-service"
                    + " refuses its heartbeats";
        }
        String providerId = setting("HOST_AGENT_PROVIDER_ID", "host-a");
        URI jobService = URI.create(required("HOST_AGENT_JOB_SERVICE_URL"));
        String secret = readKey(Path.of(keyFile));
        KeyPair keys = HostIdentity.newKeyPair();
        HostRegistration registration = new HostRegistration(setting("HOST_AGENT_NAME", "hyperv-a.contoso.local"),
                setting("HOST_AGENT_ADVERTISED_URL", "http://127.0.0.1:" + setting("QUARKUS_HTTP_PORT", "8083")),
                Arrays.stream(setting("HOST_AGENT_VIRTUAL_SWITCHES", "vSwitch-Prod").split(",")).map(String::trim).toList(),
                Base64.getEncoder().encodeToString(keys.getPublic().getEncoded()));
        HttpClient client = client(jobService);
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(jobService.resolve("/api/replicationRecoveryServicesProviders/"
                            + URLEncoder.encode(providerId, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header(HostRegistration.KEY_HEADER, secret)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(registration)))
                    .build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the registration", e);
        }
        while (true) {
            try {
                HttpResponse<String> answer = client.send(request, HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 201) {
                    HostCertificate certificate = JSON.readValue(answer.body(), HostCertificate.class);
                    HostIdentity.store(storageDir, keys.getPrivate(), certificate.certificateChain());
                    return "registered as " + providerId + " with job-service at " + jobService + "; identity in "
                            + storageDir.resolve(HostIdentity.DIRECTORY);
                }
                if (answer.statusCode() >= 400 && answer.statusCode() < 500 && answer.statusCode() != 408 && answer.statusCode() != 429) {
                    throw new RegistrationRefused("job-service at " + jobService + " refused to register " + providerId + " ("
                            + answer.statusCode() + "): " + answer.body());
                }
                System.err.println("job-service at " + jobService + " answered " + answer.statusCode() + " to the registration; trying again");
            } catch (IOException away) {
                System.err.println("job-service at " + jobService + " cannot be reached (" + away + "); trying again in "
                        + RETRY_PAUSE.toSeconds() + " s");
            }
            Thread.sleep(RETRY_PAUSE.toMillis());
        }
    }

    private String readKey(Path file) throws RegistrationRefused {
        try {
            String key = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (key.isEmpty()) {
                throw new RegistrationRefused("the registration key file " + file + " is empty");
            }
            return key;
        } catch (IOException e) {
            throw new RegistrationRefused("cannot read the registration key file " + file + ": " + e.getMessage());
        }
    }

    /** Trusts only the CA given for job-service's certificate, when there is one (HTTPS); the JDK's otherwise. */
    private HttpClient client(URI jobService) throws RegistrationRefused {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        String caFile = environment.get("HOST_AGENT_JOB_SERVICE_CA_FILE");
        if (caFile != null && !caFile.isBlank()) {
            try (InputStream in = Files.newInputStream(Path.of(caFile))) {
                KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
                trust.load(null, null);
                int i = 0;
                for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trust.setCertificateEntry("ca-" + i++, certificate);
                }
                TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trustManagers.init(trust);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, trustManagers.getTrustManagers(), null);
                builder.sslContext(context);
            } catch (IOException | GeneralSecurityException e) {
                throw new RegistrationRefused("cannot read job-service's CA from " + caFile + ": " + e.getMessage());
            }
        }
        return builder.build();
    }

    private String setting(String name, String fallback) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private String required(String name) throws RegistrationRefused {
        String value = environment.get(name);
        if (value == null || value.isBlank()) {
            throw new RegistrationRefused(name + " must say where job-service is, to register this host");
        }
        return value;
    }

}
