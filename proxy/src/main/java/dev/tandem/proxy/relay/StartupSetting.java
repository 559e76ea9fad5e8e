package dev.tandem.proxy.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A setting a client asks for in its StartupMessage ({@code search_path}, {@code session_replication_role},
 * {@code role}): a parameter of that name (what pgjdbc's {@code currentSchema} sends for {@code search_path}), else a
 * {@code -c name=...} or {@code --name=...} in the {@code options} parameter (libpq's {@code options},
 * {@code PGOPTIONS}). As in PostgreSQL, a setting's name is read without regard to case ({@code options} is
 * not: the server takes {@code OPTIONS} for a setting of that name), the parameter wins over {@code options}, and in
 * {@code options} the last setting wins.
 */
final class StartupSetting {

    private StartupSetting() {
    }

    /**
     * The value of setting {@code name} (lower case) as the client wrote it ({@code "a", public}), or null when it
     * sets none.
     */
    static String of(Map<String, String> parameters, String name) {
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            if (p.getKey().toLowerCase(Locale.ROOT).equals(name)) {
                return p.getValue();
            }
        }
        String options = parameters.get("options");
        return options == null ? null : fromOptions(options, name);
    }

    private static String fromOptions(String options, String name) {
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
            if (eq > 0 && setting.substring(0, eq).replace('-', '_').toLowerCase(Locale.ROOT).equals(name)) {
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
