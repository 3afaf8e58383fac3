package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.RecoveryPlanGroup;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.service.FailbackCosts.Copy;
import io.failback.jobs.service.FailbackCosts.Prediction;
import io.failback.jobs.service.FailbackEstimator.AzureDisks;
import io.failback.jobs.service.FailbackEstimator.Basis;
import io.failback.jobs.service.FailbackEstimator.GroupEstimate;
import io.failback.jobs.service.FailbackEstimator.OptionEstimate;
import io.failback.jobs.service.FailbackEstimator.PlanBasis;
import io.failback.jobs.service.FailbackEstimator.PlanEstimate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A recovery plan's failback estimate, as {@link RecoveryPlanRunner} runs the failback: ForSynchronization group by
 * group, each group's items side by side; ForDownTime's phase 1 for every item at once, then phase 2 group by group.
 * The items on one host share its link: their copies are estimated together, as one period of copying of their summed
 * counts and bytes ({@link FailbackCosts}), which is how the link's costs were learned. Hosts run side by side, so a step takes as
 * long as its slowest host. A VM is down from its group's start to its end.
 */
final class PlanEstimates {
    private PlanEstimates() {
    }

    /**
     * @param items the plan's items, by name, every one able to fail back
     * @param metrics their Azure VMs', by item name
     * @param costs by host, of every item's host
     */
    static PlanEstimate of(RecoveryPlan plan, Map<String, ReplicationProtectedItem> items, Map<String, AzureVmMetrics> metrics,
            Map<String, FailbackCosts> costs) {
        Map<String, AzureDisks> disks = new LinkedHashMap<>();
        metrics.forEach((name, vm) -> disks.put(name, AzureDisks.of(vm)));
        Function<String, String> host = name -> items.get(name).primaryProviderId;
        List<List<String>> groups = new ArrayList<>();
        List<Integer> groupNumbers = new ArrayList<>();
        for (int g = 0; g < plan.groups().size(); g++) {
            RecoveryPlanGroup group = plan.groups().get(g);
            if (!group.itemNames().isEmpty()) {
                groups.add(group.itemNames());
                groupNumbers.add(g + 1);
            }
        }

        // ForSynchronization: group by group. Only the first group's copies share the link with the copies under way now.
        Prediction fullTotal = Prediction.NONE;
        double fullDown = 0;
        double fullDownSpread = 0;
        List<Double> fullGroups = new ArrayList<>();
        long fullBytes = 0;
        for (int g = 0; g < groups.size(); g++) {
            Prediction slowest = Prediction.NONE;
            Prediction slowestDown = Prediction.NONE;
            for (Map.Entry<String, List<String>> onHost : byHost(groups.get(g), host).entrySet()) {
                FailbackCosts c = costs.get(onHost.getKey());
                Prediction copy = c.copy(sum(onHost.getValue(), name -> disks.get(name).fullCopy()), g == 0);
                Prediction down = Prediction.NONE.plus(c.control).plus(c.shutdown).plus(copy).plus(c.start);
                Prediction all = down.plus(c.prepare);
                if (all.seconds() > slowest.seconds()) {
                    slowest = all;
                    slowestDown = down;
                }
            }
            fullTotal = fullTotal.plus(slowest);
            fullGroups.add(round(slowest.seconds()));
            if (slowestDown.seconds() > fullDown) {
                fullDown = slowestDown.seconds();
                fullDownSpread = slowestDown.spreadSeconds();
            }
            fullBytes += groups.get(g).stream().mapToLong(name -> disks.get(name).diskBytes()).sum();
        }

        // ForDownTime: phase 1 for every item at once, while the VMs run; then phase 2 group by group.
        List<String> all = groups.stream().flatMap(List::stream).toList();
        Prediction phase1 = Prediction.NONE;
        for (Map.Entry<String, List<String>> onHost : byHost(all, host).entrySet()) {
            FailbackCosts c = costs.get(onHost.getKey());
            Prediction hostPhase1 = Prediction.NONE.plus(c.snapshotPhaseControl).plus(c.prepare)
                    .plus(c.copy(sum(onHost.getValue(), name -> disks.get(name).snapshotCopy()), true));
            phase1 = hostPhase1.seconds() > phase1.seconds() ? hostPhase1 : phase1;
        }
        double phase1Seconds = phase1.seconds();
        Prediction phase2Total = Prediction.NONE;
        double deltaDown = 0;
        double deltaDownSpread = 0;
        List<Double> deltaGroups = new ArrayList<>();
        long deltaBytes = all.stream().mapToLong(name -> disks.get(name).phase1Sends() + disks.get(name).writtenDuring(phase1Seconds)).sum();
        for (List<String> group : groups) {
            Prediction slowest = Prediction.NONE;
            for (Map.Entry<String, List<String>> onHost : byHost(group, host).entrySet()) {
                FailbackCosts c = costs.get(onHost.getKey());
                Prediction hostPhase2 = Prediction.NONE.plus(c.finalPhaseControl).plus(c.shutdown)
                        .plus(c.copy(sum(onHost.getValue(), name -> disks.get(name).finalCopy(phase1Seconds)), false)).plus(c.start);
                slowest = hostPhase2.seconds() > slowest.seconds() ? hostPhase2 : slowest;
            }
            phase2Total = phase2Total.plus(slowest);
            deltaGroups.add(round(slowest.seconds()));
            if (slowest.seconds() > deltaDown) {
                deltaDown = slowest.seconds();
                deltaDownSpread = slowest.spreadSeconds();
            }
        }
        Prediction deltaTotal = phase1.plus(phase2Total);

        List<GroupEstimate> groupEstimates = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            Map<String, Double> seconds = new LinkedHashMap<>();
            seconds.put(DataSyncOption.ForSynchronization.name(), fullGroups.get(g));
            seconds.put(DataSyncOption.ForDownTime.name(), deltaGroups.get(g));
            groupEstimates.add(new GroupEstimate(groupNumbers.get(g), groups.get(g), seconds));
        }
        String coordination = "; the plan job's own work between groups, and manual actions, are not counted";
        List<OptionEstimate> options = List.of(
                new OptionEstimate(DataSyncOption.ForSynchronization.name(), fullBytes, round(fullTotal.seconds()), round(fullDown),
                        null, null, round(fullTotal.spreadSeconds()), round(fullDownSpread),
                        "group by group, each group's VMs shut down in Azure at its start and downloaded side by side, sharing their "
                                + "hosts' links; the downtime is the longest group's" + coordination),
                new OptionEstimate(DataSyncOption.ForDownTime.name(), deltaBytes, round(deltaTotal.seconds()), round(deltaDown),
                        round(phase1Seconds), round(phase2Total.seconds()), round(deltaTotal.spreadSeconds()), round(deltaDownSpread),
                        "phase 1 synchronizes every VM's snapshot at once while they run, sharing their hosts' links; after Complete "
                                + "Failover phase 2 runs group by group (each VM down only during its group's), sending what the VMs wrote "
                                + "during phase 1 at their present rates" + coordination));

        List<Basis> bases = new ArrayList<>();
        for (Map.Entry<String, List<String>> onHost : byHost(all, host).entrySet()) {
            FailbackCosts c = costs.get(onHost.getKey());
            double[] together = sum(onHost.getValue(), name -> disks.get(name).fullCopy());
            bases.add(FailbackEstimator.basis(onHost.getKey(), c, List.of(FailbackEstimator.step(c, Copy.FULL, together))));
        }
        String summary = count(groups.size(), "group") + " in order, " + count(all.size(), "VM") + " on " + count(bases.size(), "host") + "; "
                + String.join("; ", bases.stream().map(Basis::summary).toList());
        return new PlanEstimate(plan.name, List.copyOf(groupEstimates), new PlanBasis(List.copyOf(bases), summary), options);
    }

    /** The items by host, in their order. */
    private static Map<String, List<String>> byHost(List<String> names, Function<String, String> host) {
        Map<String, List<String>> byHost = new LinkedHashMap<>();
        for (String name : names) {
            byHost.computeIfAbsent(host.apply(name), h -> new ArrayList<>()).add(name);
        }
        return byHost;
    }

    /** The link's features of the items' copies side by side. */
    private static double[] sum(List<String> names, Function<String, double[]> features) {
        return FailbackCosts.together(names.stream().map(features).toList());
    }

    private static String count(int n, String thing) {
        return n + " " + thing + (n == 1 ? "" : "s");
    }

    private static double round(double seconds) {
        return FailbackEstimator.round(seconds);
    }
}
