package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console's static files hold no data: anyone may load them, with a policy that lets the page run only its own
 * scripts and talk only to this origin. What they show still needs a token: the API next to them stays closed.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class ConsoleAssetsTest {

    @BeforeEach
    void anonymous() {
        RestAssured.replaceFiltersWith(List.of());
    }

    @Test
    void theConsoleLoadsWithoutATokenUnderAPolicyThatAllowsNoInlineOrForeignScript() {
        for (String asset : List.of("/console/", "/console/index.html", "/console/console.js", "/console/api.js", "/console/console.css")) {
            given().get(asset).then().statusCode(200)
                    .header("Content-Security-Policy", containsString("default-src 'none'"))
                    .header("Content-Security-Policy", containsString("script-src 'self';"))
                    .header("Content-Security-Policy", containsString("connect-src 'self'"))
                    .header("Content-Security-Policy", not(containsString("unsafe-inline")))
                    .header("X-Content-Type-Options", equalTo("nosniff"));
        }
        given().get("/console/").then().contentType(containsString("text/html")).body(containsString("<script type=\"module\" src=\"console.js\">"));
        given().get("/console/console.js").then().contentType(containsString("javascript"));
    }

    @Test
    void theApiBesideTheConsoleStillRefusesACallWithoutAToken() {
        given().get("/api/replicationProtectedItems").then().statusCode(401);
        given().get("/api/replicationJobs/no-such-job/events").then().statusCode(401);
        // The console's policy is the console's: the API's answers do not carry it.
        given().get("/q/health/live").then().statusCode(200).header("Content-Security-Policy", nullValue());
    }
}
