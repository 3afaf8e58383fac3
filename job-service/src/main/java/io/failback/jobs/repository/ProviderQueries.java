package io.failback.jobs.repository;

import io.failback.jobs.domain.FabricProvider;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import java.util.List;

/** The on-premises hosts that have registered, as both front doors list them. Call within a session. */
public final class ProviderQueries {
    private ProviderQueries() {
    }

    public static Uni<List<FabricProvider>> inIdOrder() {
        return FabricProvider.listAll(Sort.by("providerId"));
    }
}
