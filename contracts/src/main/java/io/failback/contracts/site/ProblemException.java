package io.failback.contracts.site;

/** Thrown where a request cannot be served; every service turns it into an {@code application/problem+json} answer. */
public class ProblemException extends RuntimeException {
    private final int status;
    private final String type;

    public ProblemException(int status, String type, String detail) {
        super(detail);
        this.status = status;
        this.type = type;
    }

    public static ProblemException notFound(String type, String detail) {
        return new ProblemException(404, type, detail);
    }

    public static ProblemException conflict(String type, String detail) {
        return new ProblemException(409, type, detail);
    }

    public static ProblemException badRequest(String type, String detail) {
        return new ProblemException(400, type, detail);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    /**
     * A 400 for a request body that is not JSON of the expected shape, or that a record's constructor refused (e.g. a
     * workload's {@code writeSizeBytes} not in whole pages): the innermost reason, which names the field.
     */
    public static Problem unreadable(com.fasterxml.jackson.core.JsonProcessingException e) {
        Throwable reason = e;
        while (reason.getCause() != null && reason.getCause() != reason) {
            reason = reason.getCause();
        }
        String detail = reason instanceof com.fasterxml.jackson.core.JsonProcessingException json ? json.getOriginalMessage()
                : reason.getMessage();
        return new Problem("UnreadableBody", "Bad Request", 400, "the request body cannot be read: " + detail);
    }

    /** A 400 naming each invalid field of the request body and what is wrong with it. */
    public static Problem invalid(java.util.Set<? extends jakarta.validation.ConstraintViolation<?>> violations) {
        String detail = violations.stream()
                .map(ProblemException::describe)
                .sorted()
                .collect(java.util.stream.Collectors.joining("; "));
        return new Problem("ValidationFailed", "Bad Request", 400, detail);
    }

    private static String describe(jakarta.validation.ConstraintViolation<?> violation) {
        // Drop the Java method and parameter names: callers know the JSON field, not "create.request".
        String[] parts = violation.getPropertyPath().toString().split("\\.", 3);
        String field = parts.length == 3 ? parts[2] : parts[parts.length - 1];
        return field + " " + violation.getMessage();
    }

    public Problem toProblem() {
        return new Problem(type, titleOf(status), status, getMessage());
    }

    static String titleOf(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 409 -> "Conflict";
            case 422 -> "Unprocessable Content";
            default -> status >= 500 ? "Server Error" : "Request Failed";
        };
    }
}
