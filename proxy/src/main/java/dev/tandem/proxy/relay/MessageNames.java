package dev.tandem.proxy.relay;

/**
 * Names of message type bytes per direction, as on the PostgreSQL "Message Formats" page. The same byte means
 * different messages per direction ('D', 'C', 'E', 'S', 'H', 'd'), so there are two tables.
 */
final class MessageNames {

    static final String OTHER = "Other";

    private static final String[] FRONTEND = new String[128];
    private static final String[] BACKEND = new String[128];

    static {
        frontend('Q', "Query");
        frontend('P', "Parse");
        frontend('B', "Bind");
        frontend('E', "Execute");
        frontend('D', "Describe");
        frontend('C', "Close");
        frontend('S', "Sync");
        frontend('H', "Flush");
        frontend('X', "Terminate");
        frontend('d', "CopyData");
        frontend('c', "CopyDone");
        frontend('f', "CopyFail");
        frontend('p', "PasswordMessage");
        frontend('F', "FunctionCall");

        backend('R', "Authentication");
        backend('K', "BackendKeyData");
        backend('S', "ParameterStatus");
        backend('Z', "ReadyForQuery");
        backend('C', "CommandComplete");
        backend('E', "ErrorResponse");
        backend('N', "NoticeResponse");
        backend('A', "NotificationResponse");
        backend('T', "RowDescription");
        backend('D', "DataRow");
        backend('1', "ParseComplete");
        backend('2', "BindComplete");
        backend('3', "CloseComplete");
        backend('n', "NoData");
        backend('I', "EmptyQueryResponse");
        backend('s', "PortalSuspended");
        backend('t', "ParameterDescription");
        backend('G', "CopyInResponse");
        backend('H', "CopyOutResponse");
        backend('W', "CopyBothResponse");
        backend('d', "CopyData");
        backend('c', "CopyDone");
        backend('v', "NegotiateProtocolVersion");
        backend('V', "FunctionCallResponse");
    }

    private MessageNames() {
    }

    private static void frontend(char type, String name) {
        FRONTEND[type] = name;
    }

    private static void backend(char type, String name) {
        BACKEND[type] = name;
    }

    /** The name, or {@code null} for a type byte this direction does not define. */
    static String name(Direction direction, int type) {
        if (type < 0 || type >= 128) {
            return null;
        }
        return (direction == Direction.CLIENT_TO_SOURCE ? FRONTEND : BACKEND)[type];
    }
}
