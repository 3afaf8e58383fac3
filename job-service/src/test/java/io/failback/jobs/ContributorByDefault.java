package io.failback.jobs;

import io.quarkus.test.junit.callback.QuarkusTestBeforeEachCallback;
import io.quarkus.test.junit.callback.QuarkusTestMethodContext;
import io.restassured.RestAssured;
import io.restassured.filter.Filter;

/**
 * Every RestAssured call in these tests carries a Site Recovery Contributor's token unless it sends its own
 * Authorization header: the behaviour under test is the operation, not who may call it. A test of anonymous calls
 * removes the filter ({@code RestAssured.replaceFiltersWith(List.of())}); it comes back before the next test.
 */
public class ContributorByDefault implements QuarkusTestBeforeEachCallback {
    private static final Filter CONTRIBUTOR = (request, response, context) -> {
        if (!request.getHeaders().hasHeaderWithName("Authorization")) {
            request.header("Authorization", TestTokens.bearer(TestTokens.contributor()));
        }
        return context.next(request, response);
    };

    @Override
    public void beforeEach(QuarkusTestMethodContext context) {
        RestAssured.replaceFiltersWith(CONTRIBUTOR);
    }
}
