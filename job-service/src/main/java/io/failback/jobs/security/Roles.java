package io.failback.jobs.security;

/**
 * The roles a caller's token grants, named after Azure's built-in roles for Site Recovery. A token carries them in its
 * {@code roles} claim (as Entra ID's app roles and Keycloak's client roles do); each one includes the ones below it,
 * by {@code quarkus.http.auth.roles-mapping}, so an endpoint names only the least role it needs.
 * <ul>
 * <li>{@link #READER}: Site Recovery Reader, every read;</li>
 * <li>{@link #OPERATOR}: Site Recovery Operator, running what is protected: failover, failback, commit, cancel,
 * resume, restart, test failover and its cleanup, reprotect, repair;</li>
 * <li>{@link #CONTRIBUTOR}: Site Recovery Contributor, everything, including enabling and disabling protection and
 * recovery plans.</li>
 * </ul>
 * The values carry no spaces: Entra ID refuses app-role values with spaces.
 */
public final class Roles {
    public static final String READER = "SiteRecovery.Reader";
    public static final String OPERATOR = "SiteRecovery.Operator";
    public static final String CONTRIBUTOR = "SiteRecovery.Contributor";

    private Roles() {
    }
}
