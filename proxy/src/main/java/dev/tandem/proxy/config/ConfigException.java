package dev.tandem.proxy.config;

import java.util.List;

/** The configuration cannot be used; {@link #problems()} has one line per bad value, all of them at once. */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(String origin, List<String> problems) {
        super(message(origin, problems));
        this.problems = List.copyOf(problems);
    }

    /** Each line names the key path, the bad value and what is allowed. */
    public List<String> problems() {
        return problems;
    }

    private static String message(String origin, List<String> problems) {
        StringBuilder message = new StringBuilder("invalid configuration (").append(origin).append("): ")
                .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
        for (String problem : problems) {
            message.append(System.lineSeparator()).append("  ").append(problem);
        }
        return message.toString();
    }
}
