package io.failback.jobs.view;

import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.RecoveryPlanGroup;
import io.failback.jobs.view.Views.CurrentScenario;
import io.failback.jobs.view.Views.Resource;
import io.failback.jobs.service.RecoveryPlanService;
import java.util.List;

/** A recovery plan as the API shows it, in Azure Site Recovery's resource shape. */
public final class RecoveryPlansView {
    private RecoveryPlansView() {
    }

    /** @param currentScenario the plan's job while it runs */
    public record RecoveryPlanProperties(String friendlyName, List<ItemOperation> allowedOperations, CurrentScenario currentScenario,
            List<RecoveryPlanGroup> groups) {
    }

    public static Resource<RecoveryPlanProperties> plan(RecoveryPlanService.Overview overview) {
        RecoveryPlan plan = overview.plan();
        CurrentScenario scenario = plan.currentScenarioJobName == null ? null
                : new CurrentScenario(plan.currentScenarioName, plan.currentScenarioJobName, plan.currentScenarioStartTime);
        return new Resource<>("/replicationRecoveryPlans/" + plan.name, plan.name, "replicationRecoveryPlans",
                new RecoveryPlanProperties(plan.friendlyName, overview.allowedOperations(), scenario, plan.groups()));
    }
}
