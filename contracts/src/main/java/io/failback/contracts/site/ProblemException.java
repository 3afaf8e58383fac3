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
