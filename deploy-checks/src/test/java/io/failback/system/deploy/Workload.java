package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.List;
import java.util.Map;

/**
 * A Deployment, StatefulSet or Job reduced to what the checks look at.
 *
 * @param replicas pods at once: a Job's parallelism
 * @param claims   the StatefulSet's volumeClaimTemplates (none for the others)
 */
record Workload(String kind, String name, int replicas, PodTemplateSpec template, List<PersistentVolumeClaim> claims) {
    static final String JOB = "Job";

    /** A Job's pods do their task and end; the others serve until they are stopped. */
    boolean runsToCompletion() {
        return kind.equals(JOB);
    }

    List<Container> containers() {
        return template.getSpec().getContainers();
    }

    Map<String, String> podLabels() {
        return template.getMetadata().getLabels() == null ? Map.of() : template.getMetadata().getLabels();
    }

    /** The project module a container runs, or null for a third-party image. */
    static String moduleOf(Container container) {
        String name = ImageName.parse(container.getImage()).name();
        return name.startsWith(Project.IMAGE_REPOSITORY) ? name.substring(Project.IMAGE_REPOSITORY.length()) : null;
    }

    @Override
    public String toString() {
        return kind + "/" + name;
    }
}
