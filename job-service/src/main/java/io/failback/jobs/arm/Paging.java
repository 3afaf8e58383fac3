package io.failback.jobs.arm;

import io.failback.contracts.site.ProblemException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Lists come a page at a time with an absolute {@code nextLink}, which the SDK's list iterators follow as they are:
 * the request's own path and api-version with an opaque {@code $skipToken} saying where the page ended.
 */
final class Paging {
    static final String SKIP_TOKEN = "$skipToken";

    private Paging() {
    }

    /** The link to the page after {@code lastKey}, on the path of this request. */
    static String nextLink(VaultScope vault, String lastKey) {
        return vault.link(vault.requestPath(), "%24skipToken=" + token(lastKey));
    }

    static String token(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The key the last page ended at; "" for the first page. */
    static String after(String skipToken) {
        if (skipToken == null || skipToken.isEmpty()) {
            return "";
        }
        try {
            return new String(Base64.getUrlDecoder().decode(skipToken), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("InvalidSkipToken", "$skipToken is not one this API handed out");
        }
    }
}
