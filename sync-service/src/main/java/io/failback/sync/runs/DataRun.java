package io.failback.sync.runs;

import io.failback.sync.metrics.SyncMetrics;

import io.failback.sync.blocks.BlockRelay;
import io.failback.sync.blocks.RateMeter;
import io.failback.sync.messaging.SyncEventPublisher;

import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.BlockWriteSummary;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.Problem;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.failback.sync.sites.SiteCallException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jboss.logging.Logger;

/** A run that moves disk blocks between the sites, with the task progress every data task reports. */
public abstract class DataRun extends CommandRun {
    private static final Logger LOG = Logger.getLogger(DataRun.class);

    protected final BlockRelay relay;
    protected final SyncMetrics metrics;
    /** The relay under way, which a cancel stops. */
    private volatile BlockRelay.Counters activeRelay;
    private final Vertx vertx;
    private final Patience patience;
    private final Duration progressInterval;
    private final CopySlots slots;
    /** The wait for a copy slot under way, which a cancel ends. */
    private volatile Cancellable slotWait;

    DataRun(SyncCommand command, SyncEventPublisher publisher, Patience patience, BlockRelay relay, Duration progressInterval,
            CopySlots slots, SyncMetrics metrics) {
        super(command, publisher, patience);
        this.relay = relay;
        this.metrics = metrics;
        this.vertx = patience.vertx();
        this.patience = patience;
        this.progressInterval = progressInterval;
        this.slots = slots;
    }

    /** One disk's copy, started with the shared progress so its counters can be reported. */
    protected interface DiskCopy {
        Uni<BlockWriteSummary> start(DiskSpec disk, Progress progress);
    }

    @Override
    protected void abortWorkUnderWay() {
        BlockRelay.Counters relaying = activeRelay;
        if (relaying != null) {
            relaying.abort();
        }
        Cancellable waiting = slotWait;
        if (waiting != null) {
            waiting.cancel();
        }
    }

    /**
     * One disk's relay, counted in the task's progress. A site that serves as many block streams as it will at once
     * refuses it before anything moved ({@link Problem#SITE_BUSY}): the copy then gives its slot back, says that it
     * waits (at least every {@link Patience#MAX_BACKOFF}, within the job's lease), and after {@link #BUSY_RETRY} lines
     * up for a slot and tries again, for as long as the site is busy: a busy site is no outage.
     */
    protected final Uni<BlockWriteSummary> relayed(Progress progress, Function<BlockRelay.Counters, Future<BlockWriteSummary>> relayCall) {
        BlockRelay.Counters counters = relay.counters(progress.task);
        progress.current = counters;
        activeRelay = counters;
        return Uni.createFrom().completionStage(() -> relayCall.apply(counters).toCompletionStage())
                .invoke(summary -> {
                    progress.sentBefore += counters.bytesCovered();
                    progress.current = null;
                    progress.busyReportedAt = null;
                })
                .onFailure(failure -> failure instanceof SiteCallException site && Problem.SITE_BUSY.equals(site.code()))
                .recoverWithUni(busy -> {
                    progress.current = null;
                    return waitForBusySite(progress, (SiteCallException) busy).chain(() -> relayed(progress, relayCall));
                });
    }

    /** How soon a copy refused by a busy site tries again: the Retry-After sites answer ({@code BlockApi.BUSY_RETRY_SECONDS}). */
    static final Duration BUSY_RETRY = Duration.ofSeconds(1);

    private Uni<Void> waitForBusySite(Progress progress, SiteCallException busy) {
        progress.slot.release();
        if (cancelled()) {
            return Uni.createFrom().failure(new SiteCallException("Cancelled", "the job was cancelled while task " + progress.task
                    + " waited for a busy site"));
        }
        Instant now = Instant.now();
        Uni<Void> report = Uni.createFrom().voidItem();
        if (progress.busyReportedAt == null || Duration.between(progress.busyReportedAt, now).compareTo(Patience.MAX_BACKOFF) >= 0) {
            progress.busyReportedAt = now;
            LOG.infof("job %s on %s, task %s: %s", command.jobName(), command.itemName(), progress.task, busy.getMessage());
            report = reportWaiting(progress.task, busy.code(), busy.getMessage() + "; this copy tries again every "
                    + BUSY_RETRY.toSeconds() + " s");
        }
        return report
                .chain(() -> patience.sleep(BUSY_RETRY))
                .chain(() -> slot(progress))
                .invoke(slot -> progress.slot = slot)
                .replaceWithVoid();
    }

    static String diskPath(String vmName, DiskSpec disk) {
        return "/api/vms/" + vmName + "/disks/" + disk.diskId();
    }

    /**
     * Counters over all disks of one task, reported every progress interval. A copy that resumes from a durable
     * checkpoint counts what the target already holds as sent ({@code resumed}), so its {@code bytesSent} goes on from
     * there instead of starting again from zero; the rate counts only what travels now.
     */
    protected static final class Progress {
        final SyncTask task;
        /** A copy its VM is down for: it goes first in the line for a slot. */
        final boolean downtime;
        /** The copy slot the task holds; replaced when it gave its slot back to wait for a busy site. */
        volatile CopySlots.Slot slot;
        /** When the task last said that it waits for a busy site; null while it does not. */
        volatile Instant busyReportedAt;
        final long bytesTotal;
        final AtomicLong scanned = new AtomicLong();
        final AtomicLong toSend = new AtomicLong();
        final AtomicLong resumed = new AtomicLong();
        volatile long sentBefore;
        volatile BlockRelay.Counters current;
        final RateMeter rate = new RateMeter(Instant.now(), 0);

        /** Whether the copy waits for a busy site: it said so, and no relay has moved a byte since. */
        boolean waitsForBusySite() {
            if (busyReportedAt == null) {
                return false;
            }
            BlockRelay.Counters now = current;
            if (now != null && now.bytesCovered() > 0) {
                busyReportedAt = null;
                return false;
            }
            return true;
        }

        Progress(SyncTask task, boolean downtime, long bytesTotal) {
            this.task = task;
            this.downtime = downtime;
            this.bytesTotal = bytesTotal;
        }

        TaskProgress snapshot() {
            BlockRelay.Counters now = current;
            // Blocks delivered to the target, zero runs included: they are "sent" as a few bytes of run length.
            long travelled = sentBefore + (now == null ? 0 : now.bytesCovered());
            double bytesPerSecond = rate.update(Instant.now(), travelled);
            long sent = resumed.get() + travelled;
            long remaining = Math.max(0, toSend.get() - sent);
            Long eta = bytesPerSecond > 0 ? (long) Math.ceil(remaining / bytesPerSecond) : null;
            return new TaskProgress(bytesTotal, scanned.get(), toSend.get(), sent, bytesPerSecond, eta, resumed.get());
        }
    }

    /**
     * Copies the disks one after the other once this instance has a copy slot for the task ({@link CopySlots}; the
     * task says it waits for one meanwhile), reporting the task's progress while it runs and once at the end.
     */
    protected final Uni<Void> copyDisks(SyncTask task, List<DiskSpec> disks, Function<DiskSpec, DiskCopy> copyOf) {
        // A full download's VM is down from its start, a ForDownTime failback's from its phase 2.
        boolean downtime = task == SyncTask.DataSynchronization || task == SyncTask.FinalDeltaSynchronization;
        Progress progress = new Progress(task, downtime, disks.stream().mapToLong(DiskSpec::sizeBytes).sum());
        return slot(progress)
                .invoke(slot -> progress.slot = slot)
                .chain(slot -> copyDisksHolding(progress, disks, copyOf).eventually(() -> progress.slot.release()));
    }

    /**
     * A copy slot; while the task waits for it, the task says so (again every {@link Patience#MAX_BACKOFF}, which keeps
     * the job's lease) and then that it goes on. A cancel of the job ends the wait.
     */
    private Uni<CopySlots.Slot> slot(Progress progress) {
        SyncTask task = progress.task;
        boolean downtime = progress.downtime;
        AtomicLong waitingTimer = new AtomicLong(-1);
        return Uni.createFrom().<CopySlots.Slot>emitter(emitter -> {
            Cancellable acquiring = slots.acquire(downtime, before -> {
                Runnable report = () -> reportWaiting(task, SyncEvent.Failure.COPY_QUEUED, "a copy slot on this sync-service instance, which runs "
                        + slots.capacity() + " copies at once (failback.max-concurrent-copies, FAILBACK_SYNC_MAX_COPIES); "
                        + (before == 0 ? "this copy is next" : before + " wait before this one")
                        + (downtime ? " (copies whose VM is down go first)" : ""))
                        .subscribe().with(ok -> { }, e -> LOG.debugf("waiting report not sent: %s", e.getMessage()));
                report.run();
                waitingTimer.set(vertx.setPeriodic(Patience.MAX_BACKOFF.toMillis(), id -> report.run()));
            }).subscribe().with(emitter::complete, emitter::fail);
            slotWait = () -> {
                acquiring.cancel();
                emitter.fail(new SiteCallException("Cancelled", "the job was cancelled while task " + task + " waited for a copy slot"));
            };
        })
                .eventually(() -> {
                    slotWait = null;
                    if (waitingTimer.get() >= 0) {
                        vertx.cancelTimer(waitingTimer.get());
                    }
                })
                .call(slot -> {
                    if (waitingTimer.get() < 0) {
                        return Uni.createFrom().voidItem();
                    }
                    // The task said it goes on: a busy site refusing it again is news again.
                    progress.busyReportedAt = null;
                    return reportGoingOn(task);
                });
    }


    private Uni<Void> copyDisksHolding(Progress progress, List<DiskSpec> disks, Function<DiskSpec, DiskCopy> copyOf) {
        SyncTask task = progress.task;
        long started = System.nanoTime();
        // No progress while the copy waits for a busy site: a report would tell job-service that it goes on.
        long timer = vertx.setPeriodic(progressInterval.toMillis(), id -> {
            if (!progress.waitsForBusySite()) {
                reportProgress(task, progress.snapshot())
                        .subscribe().with(ok -> { }, e -> LOG.debugf("progress report not sent: %s", e.getMessage()));
            }
        });
        return Multi.createFrom().iterable(disks)
                .onItem().transformToUniAndConcatenate(disk -> copyOf.apply(disk).start(disk, progress))
                .collect().asList()
                .eventually(() -> vertx.cancelTimer(timer))
                .invoke(() -> lastProgress = progress.snapshot())
                .invoke(() -> LOG.debugf("job %s: %s copied %d disks in %d ms", command.jobName(), task, disks.size(),
                        (System.nanoTime() - started) / 1_000_000))
                .replaceWithVoid();
    }}
