package io.failback.azuresim.vm;

import io.failback.contracts.site.WorkloadSettings;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * {@code POST /api/vms}: puts a running VM in Azure, as a failover to Azure would have left it, with disks of
 * generated content (reproducible from {@code contentSeed}: random extents, about {@code zeroPercent}% zeros; 100
 * creates empty sparse disks of any size at once; of the other extents about {@code textPercent}% are log-like text,
 * which compresses 2–4×, and the rest random bytes, which does not; 0 by default), writing to them as {@code workload}
 * says (by default a light random workload; {@code writesPerSecond: 0} for an idle VM).
 */
public record CreateAzureVm(
        @NotNull @Pattern(regexp = NAME_PATTERN, message = "must be 1-64 letters, digits, '-', '_' or '.'") String name,
        @NotEmpty @Size(max = 16) List<@Valid @NotNull Disk> disks,
        Long contentSeed,
        @Min(0) @Max(100) Integer zeroPercent,
        @Min(0) @Max(100) Integer textPercent,
        @Valid WorkloadSettings workload) {

    public static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    /** @param sizeBytes a whole number of MiB, at least one */
    public record Disk(@NotNull @Pattern(regexp = NAME_PATTERN, message = "must be 1-64 letters, digits, '-', '_' or '.'") String diskId,
            @Min(1048576) long sizeBytes) {
    }
}
