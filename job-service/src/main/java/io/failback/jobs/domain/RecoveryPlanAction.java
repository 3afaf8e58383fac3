package io.failback.jobs.domain;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.failback.contracts.messaging.FailoverDirection;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.List;

/**
 * A start or end action of a recovery plan group, as Azure Site Recovery shapes it: it runs only for the failover
 * types (and, for a planned failover, the directions) it lists.
 */
public record RecoveryPlanAction(@NotBlank String actionName, @NotEmpty List<@NotNull FailoverDirection> failoverDirections,
        @NotEmpty List<@NotNull ItemOperation> failoverTypes, @NotNull @Valid Details customDetails) {

    public static final String MANUAL = "ManualActionDetails";
    public static final String SCRIPT = "ScriptActionDetails";

    /**
     * {@code ManualActionDetails} pause the plan's job until it is resumed; {@code ScriptActionDetails} name a
     * script. Azure Automation runbooks have no counterpart here.
     *
     * @param description what the person must do (manual)
     * @param path the script (script)
     * @param fabricLocation where the script would run: {@code Primary} or {@code Recovery} (script)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Details(
            @NotNull @Pattern(regexp = MANUAL + "|" + SCRIPT, message = "must be " + MANUAL + " or " + SCRIPT
                    + " (there is no Azure Automation here for runbooks)") String instanceType,
            String description, String path, String timeout, String fabricLocation) {
    }

    public boolean manual() {
        return MANUAL.equals(customDetails.instanceType());
    }

    /** Whether the action belongs to this operation: ASR runs an action only for the failovers it was added for. */
    public boolean appliesTo(ItemOperation operation, FailoverDirection direction) {
        return failoverTypes.contains(operation) && (direction == null || failoverDirections.contains(direction));
    }
}
