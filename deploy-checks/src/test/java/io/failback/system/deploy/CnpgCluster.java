package io.failback.system.deploy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.Map;

/**
 * CloudNativePG's {@code Cluster} (postgresql.cnpg.io/v1), typed after the CRD of CloudNativePG 1.30.0
 * (config/crd/bases/postgresql.cnpg.io_clusters.yaml): CloudNativePG publishes no Java model. It holds only the
 * fields the overlays use, and a field it lacks fails the read, so a typo cannot pass, and neither can a field whose
 * effect the checks do not know (a security context, a second bootstrap method, a pooler...): add it here with the
 * CRD's meaning, and to the checks.
 */
// Not fabric8's deserializer of KubernetesResource, which would take it for a generic resource.
@JsonDeserialize(using = JsonDeserializer.None.class)
final class CnpgCluster implements HasMetadata, Namespaced {
    static final String API_VERSION = "postgresql.cnpg.io/v1";
    static final String KIND = "Cluster";

    private String apiVersion;
    private String kind;
    private ObjectMeta metadata;
    private Spec spec;

    /**
     * @param instances   the PostgreSQL instances: one primary, the others streaming replicas (the CRD's only required field)
     * @param imageName   the operand image; without it the operator's default, whose major version changes with the operator
     * @param enablePDB   whether the operator makes PodDisruptionBudgets for the primary and the replicas (the CRD's default: true)
     */
    record Spec(@JsonProperty(required = true) int instances, String imageName, Bootstrap bootstrap, Storage storage,
            Resources resources, Affinity affinity, Boolean enablePDB) {
    }

    /** How the first instance comes to be; initdb is the only method the overlays use. */
    record Bootstrap(InitDb initdb) {
    }

    /** A new, empty database and the user that owns it, whose credentials the operator generates. */
    record InitDb(String database, String owner) {
    }

    /** Each instance's volume claim. */
    record Storage(String size, String storageClass) {
    }

    /** Requests and limits of the postgres container, as quantities. */
    record Resources(Map<String, String> requests, Map<String, String> limits) {
    }

    /** Where the instances may run: on different values of topologyKey while enablePodAntiAffinity is not false. */
    record Affinity(Boolean enablePodAntiAffinity, String topologyKey, String podAntiAffinityType) {
    }

    public Spec getSpec() {
        return spec;
    }

    public void setSpec(Spec spec) {
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
