package io.failback.system;

import io.failback.system.security.LocalIssuer;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code ./failback token --role Operator [--subject NAME] [--hours N]}: prints a token of the local issuer, and only
 * the token, so that {@code TOKEN=$(./failback token --role Operator)} works. The issuer's keys are the ones
 * {@code up} gives job-service ({@code .failback/jwt/}), made here if {@code up} has not run yet.
 */
record TokenCommand(Path issuerDir, LauncherOptions options, PrintStream out) {

    /** A month: long enough for a script, short enough that a forgotten token does not stay valid for good. */
    static final int MAX_HOURS = 24 * 30;

    int run() {
        String subject = options.tokenSubject().orElseGet(() -> System.getProperty("user.name", "failback-user"));
        out.println(LocalIssuer.openOrCreate(issuerDir).issue(options.tokenRole(), subject, options.tokenLifetime()));
        return 0;
    }
}
