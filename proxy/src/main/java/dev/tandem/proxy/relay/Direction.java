package dev.tandem.proxy.relay;

/** Which way bytes flow through a session. */
public enum Direction {
    CLIENT_TO_SOURCE("client_to_source", "client"),
    SOURCE_TO_CLIENT("source_to_client", "source");

    private final String label;
    private final String sender;

    Direction(String label, String sender) {
        this.label = label;
        this.sender = sender;
    }

    /** The metric label value. */
    public String label() {
        return label;
    }

    /** Who sends the bytes, for error messages. */
    public String sender() {
        return sender;
    }
}
