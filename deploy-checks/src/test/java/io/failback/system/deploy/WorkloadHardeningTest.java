package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every pod and container is probed, sized and locked down, whoever's image it runs. */
class WorkloadHardeningTest {
    private static final List<String> RESOURCES = List.of("cpu", "memory");

    /**
     * Every container that serves. A Job's runs its task to completion: no Service routes to it, and a failure is the
     * Job's to retry (backoffLimit), so it has no probes to answer.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyServingContainerHasStartupReadinessAndLivenessProbes(String overlay) {
        List<String> problems = new ArrayList<>();
        Deploy.overlay(overlay).workloads().stream().filter(workload -> !workload.runsToCompletion()).forEach(workload -> workload.containers().forEach(container -> {
            Map<String, Probe> probes = probes(container);
            probes.forEach((kind, probe) -> {
                if (probe == null) {
                    problems.add(workload + " " + container.getName() + ": no " + kind + " probe");
                } else if (probe.getHttpGet() == null && probe.getTcpSocket() == null && probe.getExec() == null && probe.getGrpc() == null) {
                    problems.add(workload + " " + container.getName() + ": the " + kind + " probe checks nothing");
                }
            });
        }));
        Deploy.assertNone(overlay, problems);
    }

    /**
     * A liveness probe restarts a wedged container, not a busy one: a minute-long GC pause or a CPU-starved copy (whose
     * health answer comes late) must not add up to a restart, so the kubelet waits at least two minutes of failed
     * probes, each given a few seconds to answer. Kubernetes' defaults (1 s timeout, 3 failures) would allow 30 s.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void livenessProbesOutlastTwoMinutesWithoutAnAnswer(String overlay) {
        List<String> problems = new ArrayList<>();
        forEachContainer(overlay, (workload, container) -> {
            Probe liveness = container.getLivenessProbe();
            if (liveness == null) {
                return; // an init container or a Job's, or reported by everyServingContainerHasStartupReadinessAndLivenessProbes
            }
            int period = Objects.requireNonNullElse(liveness.getPeriodSeconds(), 10);
            int failures = Objects.requireNonNullElse(liveness.getFailureThreshold(), 3);
            int timeout = Objects.requireNonNullElse(liveness.getTimeoutSeconds(), 1);
            if (period * failures < LIVENESS_PATIENCE_SECONDS) {
                problems.add(workload + " " + container.getName() + ": the liveness probe restarts it after " + period * failures
                        + " s of failures (periodSeconds " + period + " × failureThreshold " + failures + "), less than "
                        + LIVENESS_PATIENCE_SECONDS + " s");
            }
            if (timeout < LIVENESS_TIMEOUT_SECONDS) {
                problems.add(workload + " " + container.getName() + ": the liveness probe gives an answer " + timeout
                        + " s, less than " + LIVENESS_TIMEOUT_SECONDS + " s");
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    /**
     * A Job's pods end, and a failed one is tried again only so often: the API server refuses restartPolicy Always for a
     * Job, and backoffLimit, said explicitly, is how often the task is tried again while what it needs is not there yet.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyJobEndsAndRetriesABoundedNumberOfTimes(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Job job : Deploy.overlay(overlay).all(Job.class)) {
            String restartPolicy = job.getSpec().getTemplate().getSpec().getRestartPolicy();
            if (!List.of("Never", "OnFailure").contains(restartPolicy)) {
                problems.add("Job/" + job.getMetadata().getName() + ": restartPolicy " + restartPolicy + ", not Never or OnFailure");
            }
            if (job.getSpec().getBackoffLimit() == null) {
                problems.add("Job/" + job.getMetadata().getName() + ": backoffLimit is not set: say how often it is tried");
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    private static final int LIVENESS_PATIENCE_SECONDS = 120;
    private static final int LIVENESS_TIMEOUT_SECONDS = 5;

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyContainerRequestsAndIsLimitedInCpuAndMemory(String overlay) {
        List<String> problems = new ArrayList<>();
        forEachContainer(overlay, (workload, container) -> {
            ResourceRequirements resources = Objects.requireNonNullElse(container.getResources(), new ResourceRequirements());
            Map<String, Quantity> requests = Objects.requireNonNullElse(resources.getRequests(), Map.of());
            Map<String, Quantity> limits = Objects.requireNonNullElse(resources.getLimits(), Map.of());
            for (String resource : RESOURCES) {
                Quantity request = requests.get(resource);
                Quantity limit = limits.get(resource);
                if (request == null || limit == null) {
                    problems.add(workload + " " + container.getName() + ": " + resource + " request " + request + ", limit " + limit);
                } else if (amount(request).compareTo(amount(limit)) > 0) {
                    problems.add(workload + " " + container.getName() + ": " + resource + " request " + request + " above its limit " + limit);
                }
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyPodRunsAsNonRootWithoutPrivilegesTokenOrServiceLinks(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Workload workload : Deploy.overlay(overlay).workloads()) {
            PodSpec pod = workload.template().getSpec();
            if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
                problems.add(workload + ": automountServiceAccountToken is not false");
            }
            // Service links put a variable per Service (KAFKA_PORT, ...) in every container, and both Quarkus and
            // the Kafka image read such variables as configuration.
            if (!Boolean.FALSE.equals(pod.getEnableServiceLinks())) {
                problems.add(workload + ": enableServiceLinks is not false");
            }
            if (Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID()) || Boolean.TRUE.equals(pod.getHostIPC())) {
                problems.add(workload + ": shares a host namespace");
            }
            for (Volume volume : Objects.requireNonNullElse(pod.getVolumes(), List.<Volume>of())) {
                if (volume.getHostPath() != null) {
                    problems.add(workload + ": volume " + volume.getName() + " is a hostPath");
                }
            }
            PodSecurityContext podContext = Objects.requireNonNullElse(pod.getSecurityContext(), new PodSecurityContext());
            for (Container container : allContainers(workload)) {
                String where = workload + " " + container.getName() + ": ";
                SecurityContext context = Objects.requireNonNullElse(container.getSecurityContext(), new SecurityContext());
                if (!Boolean.TRUE.equals(effective(context.getRunAsNonRoot(), podContext.getRunAsNonRoot()))) {
                    problems.add(where + "runAsNonRoot is not true");
                }
                Long user = effective(context.getRunAsUser(), podContext.getRunAsUser());
                if (user == null || user == 0) {
                    problems.add(where + "runAsUser is not a non-root uid: " + user);
                }
                if (!Boolean.FALSE.equals(context.getAllowPrivilegeEscalation())) {
                    problems.add(where + "allowPrivilegeEscalation is not false");
                }
                if (Boolean.TRUE.equals(context.getPrivileged())) {
                    problems.add(where + "privileged");
                }
                List<String> dropped = Optional.ofNullable(context.getCapabilities()).map(Capabilities::getDrop).orElse(List.of());
                List<String> added = Optional.ofNullable(context.getCapabilities()).map(Capabilities::getAdd).orElse(List.of());
                if (!dropped.contains("ALL") || !added.isEmpty()) {
                    problems.add(where + "capabilities drop " + dropped + " and add " + added + "; expected drop [ALL] and no add");
                }
                SeccompProfile seccomp = effective(context.getSeccompProfile(), podContext.getSeccompProfile());
                if (seccomp == null || !"RuntimeDefault".equals(seccomp.getType())) {
                    problems.add(where + "seccompProfile is not RuntimeDefault");
                }
                if (context.getReadOnlyRootFilesystem() == null) {
                    problems.add(where + "readOnlyRootFilesystem is not set: say true, or false with the reason");
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /** Quarkus needs nothing on its root filesystem but /tmp (Vert.x's file cache, the JVM's perf data). */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void projectContainersHaveAReadOnlyRootFilesystemAndTmpOnAnEmptyDir(String overlay) {
        List<String> problems = new ArrayList<>();
        forEachContainer(overlay, (workload, container) -> {
            if (Workload.moduleOf(container) == null) {
                return;
            }
            String where = workload + " " + container.getName() + ": ";
            if (!Boolean.TRUE.equals(Optional.ofNullable(container.getSecurityContext()).map(SecurityContext::getReadOnlyRootFilesystem).orElse(null))) {
                problems.add(where + "readOnlyRootFilesystem is not true");
            }
            Optional<String> tmpVolume = Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of()).stream()
                    .filter(mount -> mount.getMountPath().equals("/tmp"))
                    .map(VolumeMount::getName)
                    .findFirst();
            boolean tmpIsEmptyDir = tmpVolume.flatMap(name -> Objects.requireNonNullElse(workload.template().getSpec().getVolumes(), List.<Volume>of())
                    .stream().filter(volume -> volume.getName().equals(name)).findFirst())
                    .map(volume -> volume.getEmptyDir() != null)
                    .orElse(false);
            if (!tmpIsEmptyDir) {
                problems.add(where + "/tmp is not an emptyDir");
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void theNamespaceEnforcesTheRestrictedPodSecurityStandard(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        Map<String, String> labels = Objects.requireNonNullElse(rendered.namespace().getMetadata().getLabels(), Map.of());
        assertEquals("restricted", labels.get("pod-security.kubernetes.io/enforce"), overlay + ": namespace labels " + labels);
    }

    static Map<String, Probe> probes(Container container) {
        Map<String, Probe> probes = new LinkedHashMap<>();
        probes.put("startup", container.getStartupProbe());
        probes.put("readiness", container.getReadinessProbe());
        probes.put("liveness", container.getLivenessProbe());
        return probes;
    }

    /** Init containers too: they run the same pod's code with the same rights. */
    static void forEachContainer(String overlay, BiConsumer<Workload, Container> check) {
        for (Workload workload : Deploy.overlay(overlay).workloads()) {
            allContainers(workload).forEach(container -> check.accept(workload, container));
        }
    }

    static List<Container> allContainers(Workload workload) {
        return Stream.concat(workload.containers().stream(),
                Objects.requireNonNullElse(workload.template().getSpec().getInitContainers(), List.<Container>of()).stream()).toList();
    }

    private static BigDecimal amount(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity);
    }

    private static <T> T effective(T container, T pod) {
        return container != null ? container : pod;
    }
}
