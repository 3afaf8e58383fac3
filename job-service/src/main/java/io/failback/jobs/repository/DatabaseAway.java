package io.failback.jobs.repository;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;

/**
 * Whether a failure means PostgreSQL is away — restarting, failing over, a dropped link — rather than that it refused
 * what was asked. What is waiting on it can succeed unchanged once it is back: a request answers 503 with
 * {@code Retry-After}, a consumed record is applied again until it is.
 */
public final class DatabaseAway {
    private DatabaseAway() {
    }

    public static boolean isDatabaseAway(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof ClosedConnectionException) {
                return true;
            }
            if (cause instanceof PgException pg && isConnectionLost(pg.getSqlState())) {
                return true;
            }
        }
        return false;
    }

    /** SQLSTATE class 08 (connection exception) or 57P (the server shutting down, e.g. 57P01 admin shutdown). */
    public static boolean isConnectionLost(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P"));
    }
}
