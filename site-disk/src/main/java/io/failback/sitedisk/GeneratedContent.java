package io.failback.sitedisk;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Disk content for simulated VMs: reproducible from a seed, with extents of zeros as real disks have, and optionally
 * extents of text (log lines) as real disks also have, which a compressor shrinks where random bytes do not.
 */
public final class GeneratedContent {
    private static final int EXTENT = 1 << 20;

    private GeneratedContent() {
    }

    /** Extents of 1 MiB, each either left as a hole (zeros) or filled with random bytes; then made durable. */
    public static void write(VirtualDisk disk, Random random, int zeroPercent) {
        write(disk, random, zeroPercent, 0);
    }

    /**
     * Extents of 1 MiB: about {@code zeroPercent}% left as holes (zeros); of the others about {@code textPercent}% are
     * log-like text ({@link #fillWithText}), the rest random bytes; then made durable. With {@code textPercent} 0 the
     * content is the same as {@link #write(VirtualDisk, Random, int)}'s for the same seed.
     */
    public static void write(VirtualDisk disk, Random random, int zeroPercent, int textPercent) {
        byte[] extent = new byte[EXTENT];
        for (long offset = 0; offset < disk.sizeBytes(); offset += EXTENT) {
            if (random.nextInt(100) < zeroPercent) {
                continue;
            }
            // Only drawn when text is asked for, so that older seeds keep giving the same disks.
            if (textPercent > 0 && random.nextInt(100) < textPercent) {
                fillWithText(extent, random);
            } else {
                random.nextBytes(extent);
            }
            disk.write(offset, ByteBuffer.wrap(extent, 0, (int) Math.min(EXTENT, disk.sizeBytes() - offset)));
        }
        disk.force();
    }

    private static final String[] LEVELS = {"INFO ", "INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"};
    private static final String[] THREADS = {"main", "worker-1", "worker-2", "worker-3", "scheduler", "http-nio-8080-exec-4",
            "kafka-consumer-1", "pool-2-thread-1", "vert.x-eventloop-thread-0", "vert.x-worker-thread-3"};
    private static final String[] LOGGERS = {"c.contoso.orders.OrderService", "c.contoso.orders.PaymentClient",
            "c.contoso.inventory.StockRepository", "o.h.engine.jdbc.spi.SqlExceptionHelper", "o.a.k.clients.NetworkClient",
            "c.contoso.web.RequestLogger", "c.contoso.auth.TokenValidator", "c.contoso.cache.RedisCache",
            "o.s.web.servlet.DispatcherServlet", "c.contoso.batch.NightlyExport"};
    private static final String[] WORDS = {"order", "payment", "customer", "request", "completed", "started", "failed",
            "retrying", "connection", "timeout", "accepted", "rejected", "cache", "miss", "hit", "user", "session",
            "expired", "created", "updated", "deleted", "invoice", "shipment", "warehouse", "item", "quantity", "price",
            "total", "status", "pending", "queued", "batch", "export", "rows", "written", "read", "from", "to", "in",
            "for", "with", "after", "the", "a", "of", "id", "ms", "bytes", "GET", "POST", "/api/orders", "/api/items",
            "200", "201", "404", "500", "true", "false", "null"};

    /**
     * Fills {@code extent} with lines like an application's log: a timestamp, a level, a thread and a logger from short
     * lists, a few words and numbers. About as compressible as real logs (LZ4 shrinks it by 2–4×), reproducible from
     * {@code random}.
     */
    static void fillWithText(byte[] extent, Random random) {
        StringBuilder line = new StringBuilder(200);
        long millis = 1_764_000_000_000L + Math.floorMod(random.nextLong(), 10_000_000_000L);
        int position = 0;
        while (position < extent.length) {
            line.setLength(0);
            millis += random.nextInt(200);
            line.append(java.time.Instant.ofEpochMilli(millis)).append(' ').append(LEVELS[random.nextInt(LEVELS.length)])
                    .append(" [").append(THREADS[random.nextInt(THREADS.length)]).append("] ")
                    .append(LOGGERS[random.nextInt(LOGGERS.length)]).append(" - ");
            int words = 4 + random.nextInt(12);
            for (int w = 0; w < words; w++) {
                if (random.nextInt(8) == 0) {
                    line.append(random.nextInt(10_000));
                } else {
                    // Some words far more often than others, as in real text.
                    line.append(WORDS[Math.min(random.nextInt(WORDS.length), random.nextInt(WORDS.length))]);
                }
                line.append(w + 1 < words ? ' ' : '\n');
            }
            byte[] bytes = line.toString().getBytes(StandardCharsets.US_ASCII);
            int length = Math.min(bytes.length, extent.length - position);
            System.arraycopy(bytes, 0, extent, position, length);
            position += length;
        }
    }
}
