package io.failback.system;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for an OpenTelemetry collector's OTLP/HTTP receiver (protocol http/protobuf): it keeps every export's
 * body, and answers each with an empty ExportTraceServiceResponse (an empty protobuf message is zero bytes). Tests
 * look for a trace id and a span name in the bodies' bytes, where protobuf writes them as they are: the id as its 16
 * raw bytes, the name as UTF-8.
 */
final class SpanCollector implements AutoCloseable {
    private final HttpServer server;
    private final List<byte[]> exports = new CopyOnWriteArrayList<>();

    SpanCollector() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen for OTLP exports", e);
        }
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                exports.add(body.readAllBytes());
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    /** What an OTLP exporter's endpoint setting takes. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Whether one export held a span of the trace, under the name. */
    boolean received(String traceIdHex, String spanName) {
        byte[] traceId = HexFormat.of().parseHex(traceIdHex);
        byte[] name = spanName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return exports.stream().anyMatch(body -> contains(body, traceId) && contains(body, name));
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int start = 0; start <= haystack.length - needle.length; start++) {
            for (int i = 0; i < needle.length; i++) {
                if (haystack[start + i] != needle[i]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
