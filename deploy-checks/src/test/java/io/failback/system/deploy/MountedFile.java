package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a container reads a file from: the deepest of its volume mounts that holds the path, and the volume behind it.
 *
 * @param key for a Secret or ConfigMap volume, the key the file is: the path under the mount, or the key of the volume's
 *            item with that path where the volume lists items (null when none does: the file is not there)
 */
record MountedFile(VolumeMount mount, Volume volume, String key) {

    static Optional<MountedFile> of(Workload workload, Container container, String file) {
        Path path = Path.of(file);
        List<Volume> volumes = Objects.requireNonNullElse(workload.template().getSpec().getVolumes(), List.of());
        return Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of()).stream()
                .filter(mount -> path.startsWith(mount.getMountPath()))
                .max(Comparator.comparingInt(mount -> mount.getMountPath().length()))
                .flatMap(mount -> volumes.stream().filter(volume -> volume.getName().equals(mount.getName())).findFirst()
                        .map(volume -> new MountedFile(mount, volume, keyOf(volume, Path.of(mount.getMountPath()).relativize(path).toString()))));
    }

    /** The Secret the file is a key of, if it is on a Secret volume. */
    Optional<String> secretName() {
        return Optional.ofNullable(volume.getSecret()).map(secret -> secret.getSecretName());
    }

    /** The ConfigMap the file is a key of, if it is on a ConfigMap volume. */
    Optional<String> configMapName() {
        return Optional.ofNullable(volume.getConfigMap()).map(configMap -> configMap.getName());
    }

    private static String keyOf(Volume volume, String relative) {
        List<KeyToPath> items = volume.getSecret() != null ? volume.getSecret().getItems()
                : volume.getConfigMap() != null ? volume.getConfigMap().getItems() : null;
        if (items == null || items.isEmpty()) {
            return relative;
        }
        return items.stream().filter(item -> item.getPath().equals(relative)).map(KeyToPath::getKey).findFirst().orElse(null);
    }
}
