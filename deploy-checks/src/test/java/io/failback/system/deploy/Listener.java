package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.Container;
import java.util.Map;

/**
 * Where a service container listens, as its configuration says: plain HTTP on {@code quarkus.http.port} (or
 * {@code QUARKUS_HTTP_PORT}), or, when {@code QUARKUS_HTTP_INSECURE_REQUESTS=disabled}, only HTTPS on
 * {@code QUARKUS_HTTP_SSL_PORT} (Quarkus's default 8443).
 *
 * @param port     the one port it serves
 * @param portName the containerPort name the manifests give it: {@code http} or {@code https}
 * @param scheme   what its probes must speak: {@code HTTP} or {@code HTTPS}
 */
record Listener(int port, String portName, String scheme) {

    static final String INSECURE_REQUESTS = "QUARKUS_HTTP_INSECURE_REQUESTS";
    static final String HTTP_PORT = "QUARKUS_HTTP_PORT";
    static final String SSL_PORT = "QUARKUS_HTTP_SSL_PORT";
    private static final int QUARKUS_DEFAULT_SSL_PORT = 8443;

    static Listener of(RenderedOverlay rendered, Container container, String module) {
        return of(rendered.literalEnvironment(container), Deploy.service(module).httpPort());
    }

    static Listener of(Map<String, String> environment, int configuredHttpPort) {
        if ("disabled".equalsIgnoreCase(environment.get(INSECURE_REQUESTS))) {
            String ssl = environment.get(SSL_PORT);
            return new Listener(ssl != null ? Integer.parseInt(ssl) : QUARKUS_DEFAULT_SSL_PORT, "https", "HTTPS");
        }
        String override = environment.get(HTTP_PORT);
        return new Listener(override != null ? Integer.parseInt(override) : configuredHttpPort, "http", "HTTP");
    }

    boolean httpsOnly() {
        return scheme.equals("HTTPS");
    }
}
