package io.failback.jobs.repository;

import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The protected-item reads both front doors serve ({@code /api} and ARM). Call within a session. */
public final class ItemQueries {
    private ItemQueries() {
    }

    /** One page in name order, and whether more follow. */
    public record ItemPage(List<ReplicationProtectedItem> items, boolean more) {
        public String lastName() {
            return items.get(items.size() - 1).name;
        }
    }

    /** @param after the last name of the page before ("" for the first page): names only grow, so no item shifts a page */
    public static Uni<ItemPage> inNameOrder(String after, int size) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>find("name > ?1", Sort.by("name"), after)
                .page(Page.ofSize(size + 1)).list()
                .map(items -> items.size() > size ? new ItemPage(items.subList(0, size), true) : new ItemPage(items, false));
    }

    public static Uni<List<ReplicationProtectedItem>> all() {
        return ReplicationProtectedItem.listAll(Sort.by("name"));
    }

    /** @param atRecovery of them, how many run in Azure now */
    public record ItemCounts(long total, long atRecovery) {
    }

    public static Uni<ItemCounts> counts() {
        return ReplicationProtectedItem.count().chain(total -> ReplicationProtectedItem.count("activeLocation", ActiveLocation.Recovery)
                .map(atRecovery -> new ItemCounts(total, atRecovery)));
    }

    /** How many items each on-premises host protects, by provider id. */
    public static Uni<Map<String, Long>> countsByHost() {
        return all().map(items -> items.stream()
                .filter(item -> item.primaryProviderId != null)
                .collect(Collectors.groupingBy(item -> item.primaryProviderId, Collectors.counting())));
    }

    /** The protected items' names by "host/VM name" of the on-premises VM each protects. */
    public static Uni<Map<String, String>> namesByHostVm() {
        return all().map(items -> items.stream()
                .filter(item -> item.primaryProviderId != null)
                .collect(Collectors.toMap(item -> item.primaryProviderId + "/" + (item.primaryVmName == null ? item.name : item.primaryVmName),
                        item -> item.name, (first, second) -> first)));
    }
}
