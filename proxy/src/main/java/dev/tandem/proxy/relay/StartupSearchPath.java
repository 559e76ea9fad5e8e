package dev.tandem.proxy.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code search_path} a client asks for in its StartupMessage: the {@code search_path} parameter itself (what
 * pgjdbc's {@code currentSchema} sends), else a {@code -c search_path=...} or {@code --search_path=...} in the
 * {@code options} parameter (libpq's {@code options}, {@code PGOPTIONS}). As in PostgreSQL, the parameter wins over
 * {@code options}, and in {@code options} the last setting wins.
 */
final class StartupSearchPath {

    private StartupSearchPath() {
    }

    /** The value as the client wrote it ({@code "a", public}), or null when it sets none. */
    static String of(Map<String, String> parameters) {
        String direct = parameters.get("search_path");
        if (direct != null) {
            return direct;
        }
        String options = parameters.get("options");
        return options == null ? null : fromOptions(options);
    }

    private static String fromOptions(String options) {
        List<String> args = split(options);
        String found = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String setting = null;
            if (arg.equals("-c") && i + 1 < args.size()) {
                setting = args.get(++i);
            } else if (arg.startsWith("-c")) {
                setting = arg.substring(2);
            } else if (arg.startsWith("--")) {
                setting = arg.substring(2);
            }
            if (setting == null) {
                continue;
            }
            int eq = setting.indexOf('=');
            if (eq > 0 && setting.substring(0, eq).replace('-', '_').toLowerCase(Locale.ROOT).equals("search_path")) {
                found = setting.substring(eq + 1);
            }
        }
        return found;
    }

    /** libpq's rule: arguments are separated by white space; a backslash keeps the next character literally. */
    private static List<String> split(String options) {
        List<String> args = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inArg = false;
        for (int i = 0; i < options.length(); i++) {
            char c = options.charAt(i);
            if (c == '\\' && i + 1 < options.length()) {
                current.append(options.charAt(++i));
                inArg = true;
            } else if (Character.isWhitespace(c)) {
                if (inArg) {
                    args.add(current.toString());
                    current.setLength(0);
                    inArg = false;
                }
            } else {
                current.append(c);
                inArg = true;
            }
        }
        if (inArg) {
            args.add(current.toString());
        }
        return args;
    }
}
