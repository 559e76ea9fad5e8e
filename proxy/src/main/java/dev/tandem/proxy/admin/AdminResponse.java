package dev.tandem.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A complete answer of the admin server, built off the event loop and written by it.
 *
 * @param status      HTTP status
 * @param contentType value of the {@code Content-Type} header
 * @param body        the body bytes (owned by this record; not copied)
 * @param headers     extra headers such as {@code Allow} or {@code WWW-Authenticate}
 */
record AdminResponse(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {

    static final String JSON = "application/json; charset=utf-8";

    static AdminResponse json(HttpResponseStatus status, Object document) {
        try {
            return new AdminResponse(status, JSON, AdminJson.MAPPER.writeValueAsBytes(document), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the admin response as JSON: " + e.getOriginalMessage(),
                    e);
        }
    }

    /** {@code {"error": message, "status": code}}. */
    static AdminResponse error(HttpResponseStatus status, String message) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("error", message);
        document.put("status", status.code());
        return json(status, document);
    }

    AdminResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new AdminResponse(status, contentType, body, Map.copyOf(more));
    }
}
