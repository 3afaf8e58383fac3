package io.failback.jobs.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A recovery plan: ordered groups of protected items, failed over (or committed, or reverse replicated) together by
 * one job. An item may belong to several plans, as in Site Recovery; one job at a time owns an item.
 */
@Entity
@Table(name = "recovery_plan")
public class RecoveryPlan extends PanacheEntityBase {
    @Id
    public String name;
    public String friendlyName;
    /** A plan is defined as a whole, so its definition is one JSON document in its row. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public Definition definition = new Definition(List.of());
    /** The plan's job while it runs; the plan cannot be changed or deleted meanwhile. */
    public String currentScenarioName;
    public String currentScenarioJobName;
    public Instant currentScenarioStartTime;
    /** The item jobs that the current (or last) plan job started, by item name. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public Map<String, String> itemJobs = Map.of();
    @Version
    public long version;
    /** The highest {@link #version} published to the state-change topic; null before the first. */
    public Long publishedVersion;

    /**
     * @param groups in the order they run (inside an object: the reactive PostgreSQL client reads a jsonb column as a
     *        JSON object, never as an array)
     */
    public record Definition(List<RecoveryPlanGroup> groups) {
    }

    public List<RecoveryPlanGroup> groups() {
        return definition.groups();
    }

    public List<String> itemNames() {
        return groups().stream().flatMap(group -> group.itemNames().stream()).toList();
    }

    public void beginScenario(String scenarioName, String jobName, Instant at) {
        currentScenarioName = scenarioName;
        currentScenarioJobName = jobName;
        currentScenarioStartTime = at;
        itemJobs = Map.of();
    }

    public void endScenario() {
        currentScenarioName = null;
        currentScenarioJobName = null;
        currentScenarioStartTime = null;
    }
}
