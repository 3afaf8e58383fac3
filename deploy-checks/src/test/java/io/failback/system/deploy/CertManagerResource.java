package io.failback.system.deploy;

import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.ObjectMeta;

/**
 * A cert-manager resource (cert-manager.io/v1), typed after cert-manager's CRDs (Issuer, Certificate): cert-manager
 * publishes no Java model. Each kind holds only the fields the overlays use, and a field it lacks fails the read, so
 * a typo cannot pass, and neither can a field whose effect the checks do not know: add it with the CRD's meaning.
 *
 * @param <S> the kind's spec
 */
// Not fabric8's deserializer of KubernetesResource, which would take it for a generic resource.
@JsonDeserialize(using = JsonDeserializer.None.class)
abstract class CertManagerResource<S> implements HasMetadata, Namespaced {
    static final String API_VERSION = "cert-manager.io/v1";

    private String apiVersion;
    private String kind;
    private ObjectMeta metadata;
    private S spec;

    public S getSpec() {
        return spec;
    }

    public void setSpec(S spec) {
        this.spec = spec;
    }

    @Override
    public ObjectMeta getMetadata() {
        return metadata;
    }

    @Override
    public void setMetadata(ObjectMeta metadata) {
        this.metadata = metadata;
    }

    @Override
    public String getApiVersion() {
        return apiVersion;
    }

    @Override
    public void setApiVersion(String apiVersion) {
        this.apiVersion = apiVersion;
    }

    @Override
    public String getKind() {
        return kind;
    }

    public void setKind(String kind) {
        this.kind = kind;
    }
}
