package io.failback.jobs.arm;

/**
 * The literal parts of Site Recovery's ARM paths and resource types (api-version 2023-06-01), in one place, so that
 * routes, ids and types cannot drift apart.
 */
public final class ArmPaths {
    private ArmPaths() {
    }

    public static final String API_VERSION = "2023-06-01";
    public static final String VAULT = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
            + "/providers/Microsoft.RecoveryServices/vaults/{resourceName}";

    public static final String FABRICS = "replicationFabrics";
    public static final String CONTAINERS = "replicationProtectionContainers";
    public static final String ITEMS = "replicationProtectedItems";
    public static final String PROTECTABLE_ITEMS = "replicationProtectableItems";
    public static final String PROVIDERS = "replicationRecoveryServicesProviders";
    public static final String JOBS = "replicationJobs";
    public static final String PLANS = "replicationRecoveryPlans";
    public static final String OPERATION_STATUS = "replicationOperationStatus";
    public static final String OPERATION_RESULTS = "replicationOperationResults";

    /** The item routes: {@code P/replicationFabrics/{f}/replicationProtectionContainers/{c}/replicationProtectedItems}. */
    public static final String CONTAINER_ITEMS = VAULT + "/" + FABRICS + "/{fabricName}/" + CONTAINERS + "/{protectionContainerName}/" + ITEMS;

    private static final String VAULT_TYPE = "Microsoft.RecoveryServices/vaults";
    public static final String FABRIC_TYPE = VAULT_TYPE + "/" + FABRICS;
    public static final String CONTAINER_TYPE = FABRIC_TYPE + "/" + CONTAINERS;
    public static final String ITEM_TYPE = CONTAINER_TYPE + "/" + ITEMS;
    public static final String PROTECTABLE_ITEM_TYPE = CONTAINER_TYPE + "/" + PROTECTABLE_ITEMS;
    public static final String PROVIDER_TYPE = FABRIC_TYPE + "/" + PROVIDERS;
    public static final String JOB_TYPE = VAULT_TYPE + "/" + JOBS;
    public static final String PLAN_TYPE = VAULT_TYPE + "/" + PLANS;

    /** Where every item lives: the on-premises site's fabric and its one protection container. */
    public static final String ON_PREMISES_FABRIC = "hyperv-site";
    public static final String ON_PREMISES_CONTAINER = ON_PREMISES_FABRIC + "-container";
    public static final String AZURE_FABRIC = "azure";
    public static final String AZURE_CONTAINER = AZURE_FABRIC + "-container";

    /** The last segment of an ARM id (or the name itself when it is no id): how the SDK's callers name a resource. */
    public static String lastSegment(String idOrName) {
        if (idOrName == null) {
            return null;
        }
        String trimmed = idOrName.endsWith("/") ? idOrName.substring(0, idOrName.length() - 1) : idOrName;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }
}
