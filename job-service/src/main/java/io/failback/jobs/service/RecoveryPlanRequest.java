package io.failback.jobs.service;

import io.failback.jobs.domain.RecoveryPlanGroup;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/** The body of {@code PUT .../replicationRecoveryPlans/{name}}, shaped as Azure Site Recovery's (api-version 2023-06-01). */
public record RecoveryPlanRequest(@NotNull @Valid Properties properties) {

    /** @param friendlyName the plan's name when null */
    public record Properties(String friendlyName, @NotEmpty List<@NotNull @Valid RecoveryPlanGroup> groups) {
    }
}
