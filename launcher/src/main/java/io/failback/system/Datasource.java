package io.failback.system;

/**
 * How job-service reaches PostgreSQL. {@code url} is the form Quarkus' reactive client takes,
 * {@code postgresql://host:port/database}.
 */
public record Datasource(String url, String username, String password) {

    /** Accepts the reactive form as well as {@code jdbc:postgresql://...} and {@code vertx-reactive:postgresql://...}. */
    public static Datasource of(String url, String username, String password) {
        String reactive = url.replaceFirst("^(jdbc:|vertx-reactive:)", "");
        if (!reactive.startsWith("postgresql://")) {
            throw new IllegalArgumentException("Expected a datasource URL like postgresql://host:port/database, got " + url);
        }
        return new Datasource(reactive, username, password);
    }

    /** The same database for a JDBC driver, e.g. in tests. */
    public String jdbcUrl() {
        return "jdbc:" + url;
    }
}
