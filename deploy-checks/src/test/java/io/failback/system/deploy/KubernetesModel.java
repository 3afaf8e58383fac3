package io.failback.system.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.util.Map;

/**
 * Reads a manifest into the Java model that knows its kind: an operator's custom resource into the operator's model
 * (Strimzi's own for kafka.strimzi.io/v1, {@link CnpgCluster} for CloudNativePG, {@link CertManagerResource}'s kinds
 * for cert-manager), anything else into fabric8's
 * Kubernetes model, which takes a kind it does not know for a {@code GenericKubernetesResource}.
 */
final class KubernetesModel {
    private static final Map<String, Class<? extends KubernetesResource>> CUSTOM_RESOURCES = Map.of(
            key(Strimzi.API_VERSION, Kafka.RESOURCE_KIND), Kafka.class,
            key(Strimzi.API_VERSION, KafkaNodePool.RESOURCE_KIND), KafkaNodePool.class,
            key(Strimzi.API_VERSION, KafkaTopic.RESOURCE_KIND), KafkaTopic.class,
            key(Strimzi.API_VERSION, KafkaUser.RESOURCE_KIND), KafkaUser.class,
            key(CnpgCluster.API_VERSION, CnpgCluster.KIND), CnpgCluster.class,
            key(CertManagerResource.API_VERSION, CertManagerIssuer.KIND), CertManagerIssuer.class,
            key(CertManagerResource.API_VERSION, CertManagerCertificate.KIND), CertManagerCertificate.class);

    private KubernetesModel() {
    }

    static KubernetesResource read(JsonNode document) throws JsonProcessingException {
        Class<? extends KubernetesResource> type = CUSTOM_RESOURCES.get(key(document.path("apiVersion").asText(), document.path("kind").asText()));
        return type != null ? Yaml.MAPPER.treeToValue(document, type) : Yaml.MAPPER.treeToValue(document, KubernetesResource.class);
    }

    private static String key(String apiVersion, String kind) {
        return apiVersion + " " + kind;
    }
}
