package io.failback.jobs.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The database's after-commit signals, fanned out inside job-service. Triggers (migration V3) NOTIFY when the outbox
 * gets messages and when a job, protected item or recovery plan row gets a new version; PostgreSQL delivers them at
 * commit to every listening session, so each job-service instance hears the others' changes too. One connection
 * listens for the whole service, whatever the number of listeners (job event streams come and go).
 * <p>
 * A notification sent while the connection was down is lost: whoever listens also registers a catch-up
 * ({@link #onListening}), run each time listening starts or starts again, and keeps a slow safety-net timer.
 */
@ApplicationScoped
public class ChangeNotifications {
    private static final Logger LOG = Logger.getLogger(ChangeNotifications.class);
    /** Messages were written to the outbox (no payload). */
    public static final String OUTBOX = "failback_outbox";
    /** A job's row got a new version; the payload is its name. */
    public static final String JOB = "failback_job";
    /** A job started or its state changed; the payload is its name. */
    public static final String JOB_STATE = "failback_job_state";
    /** A protected item's row got a new version; the payload is its name. */
    public static final String ITEM = "failback_item";
    /** A recovery plan's row got a new version; the payload is its name. */
    public static final String PLAN = "failback_plan";
    private static final List<String> CHANNELS = List.of(OUTBOX, JOB, JOB_STATE, ITEM, PLAN);
    private static final long RECONNECT_DELAY_MILLIS = 1000;

    /** A listener's registration; closing it stops the calls. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private final Map<String, List<Consumer<String>>> listeners = Map.of(OUTBOX, new CopyOnWriteArrayList<>(),
            JOB, new CopyOnWriteArrayList<>(), JOB_STATE, new CopyOnWriteArrayList<>(), ITEM, new CopyOnWriteArrayList<>(),
            PLAN, new CopyOnWriteArrayList<>());
    private final List<Runnable> catchUps = new CopyOnWriteArrayList<>();
    private final Vertx vertx;
    private final PgConnectOptions connectOptions;
    private volatile PgSubscriber subscriber;
    private volatile boolean stopping;

    public ChangeNotifications(Vertx vertx, @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
            @ConfigProperty(name = "quarkus.datasource.username") Optional<String> username,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.vertx = vertx;
        this.connectOptions = PgConnectOptions.fromUri(url);
        username.ifPresent(connectOptions::setUser);
        password.ifPresent(connectOptions::setPassword);
    }

    /** Calls {@code listener} with the payload of each notification on {@code channel}; closing stops it. */
    public Subscription listen(String channel, Consumer<String> listener) {
        List<Consumer<String>> channelListeners = listeners.get(channel);
        if (channelListeners == null) {
            throw new IllegalArgumentException("no such channel: " + channel);
        }
        channelListeners.add(listener);
        return () -> channelListeners.remove(listener);
    }

    /** Runs {@code catchUp} each time listening (re)starts: notifications may have been missed before. */
    public Subscription onListening(Runnable catchUp) {
        catchUps.add(catchUp);
        return () -> catchUps.remove(catchUp);
    }

    /** After the messaging channels are wired (their observer runs first), so that a woken relay can send. */
    void start(@Observes StartupEvent started) {
        PgSubscriber created = PgSubscriber.subscriber(vertx, connectOptions)
                .reconnectPolicy(attempt -> RECONNECT_DELAY_MILLIS);
        for (String channel : CHANNELS) {
            created.channel(channel)
                    .subscribeHandler(() -> {
                        // One channel stands for all: they are subscribed together on each (re)connection.
                        if (channel.equals(OUTBOX)) {
                            LOG.debug("listening for change notifications");
                            catchUps.forEach(ChangeNotifications::runGuarded);
                        }
                    })
                    .handler(payload -> listeners.get(channel).forEach(listener -> runGuarded(() -> listener.accept(payload))));
        }
        subscriber = created;
        connect();
    }

    void stop(@Observes ShutdownEvent stopped) {
        stopping = true;
        PgSubscriber current = subscriber;
        if (current != null) {
            current.closeAndForget();
        }
    }

    /** The subscriber reconnects by itself once connected; its first connection is retried here. */
    private void connect() {
        subscriber.connect().subscribe().with(connected -> LOG.debug("change notifications connected"), failure -> {
            if (stopping) {
                return;
            }
            LOG.warnf("cannot listen for change notifications: %s; retrying (safety-net timers run meanwhile)", failure.getMessage());
            vertx.setTimer(RECONNECT_DELAY_MILLIS, id -> {
                if (!stopping) {
                    connect();
                }
            });
        });
    }

    private static void runGuarded(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warnf(e, "a change notification listener failed");
        }
    }
}
