package dev.tandem.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One mapping of the {@link ConfigTree} being read into a record. Every getter registers its key as known, and on a
 * bad value records a problem and returns the default, so reading goes on and every problem is found in one pass.
 * A missing key and an explicit {@code null} (a key with nothing after the colon) both mean "use the default".
 */
final class Section {

    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?\\d+");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final ConfigTree tree;
    private final String path;
    private final ObjectNode node;

    Section(ConfigTree tree, String path, ObjectNode node) {
        this.tree = tree;
        this.path = path;
        this.node = node;
    }

    /** The nested mapping at {@code key}; an absent one reads as all defaults. */
    Section section(String key) {
        String keyPath = pathOf(key);
        JsonNode value = value(key);
        if (value == null) {
            return new Section(tree, keyPath, null);
        }
        if (!(value instanceof ObjectNode object)) {
            tree.problem(keyPath, describe(value) + " is not a mapping; expected nested keys");
            return new Section(tree, keyPath, null);
        }
        return new Section(tree, keyPath, object);
    }

    /** Whether the file or a flag gives {@code key} a value, rather than leaving it to its default. */
    boolean isSet(String key) {
        return value(key) != null;
    }

    Optional<String> optionalText(String key) {
        return scalar(key);
    }

    String text(String key, String defaultValue) {
        return scalar(key).orElse(defaultValue);
    }

    int integer(String key, int defaultValue, int min, int max) {
        return parsed(key, Integer.toString(defaultValue), text -> {
            String digits = text.strip();
            if (!WHOLE_NUMBER.matcher(digits).matches()) {
                throw new IllegalArgumentException("is not a whole number; allowed " + min + " to " + max);
            }
            if (digits.length() > 18 || Long.parseLong(digits) < min || Long.parseLong(digits) > max) {
                throw new IllegalArgumentException("is out of range; allowed " + min + " to " + max);
            }
            return Integer.parseInt(digits);
        });
    }

    long wholeNumber(String key, long defaultValue, long min, long max) {
        return parsed(key, Long.toString(defaultValue), text -> {
            String digits = text.strip();
            if (!WHOLE_NUMBER.matcher(digits).matches()) {
                throw new IllegalArgumentException("is not a whole number; allowed " + min + " to " + max);
            }
            long value;
            try {
                value = Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is out of range; allowed " + min + " to " + max);
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException("is out of range; allowed " + min + " to " + max);
            }
            return value;
        });
    }

    long size(String key, String defaultValue, long min, long max) {
        return parsed(key, defaultValue, text -> {
            long value = Sizes.parse(text);
            if (value < min) {
                throw new IllegalArgumentException("is below the minimum of " + Sizes.format(min));
            }
            if (value > max) {
                throw new IllegalArgumentException("is above the maximum of " + Sizes.format(max));
            }
            return value;
        });
    }

    Duration duration(String key, String defaultValue, Duration min) {
        return parsed(key, defaultValue, text -> {
            Duration value = Durations.parse(text);
            if (value.compareTo(min) < 0) {
                throw new IllegalArgumentException("is below the minimum of " + Durations.format(min));
            }
            return value;
        });
    }

    Duration duration(String key, String defaultValue, Duration min, Duration max) {
        return parsed(key, defaultValue, text -> {
            Duration value = Durations.parse(text);
            if (value.compareTo(min) < 0) {
                throw new IllegalArgumentException("is below the minimum of " + Durations.format(min));
            }
            if (value.compareTo(max) > 0) {
                throw new IllegalArgumentException("is above the maximum of " + Durations.format(max));
            }
            return value;
        });
    }

    HostPort hostPort(String key, String defaultValue) {
        return parsed(key, defaultValue, HostPort::parse);
    }

    String host(String key, String defaultValue) {
        return parsed(key, defaultValue, text -> {
            HostPort.hostProblem(text).ifPresent(problem -> {
                throw new IllegalArgumentException(problem);
            });
            return text;
        });
    }

    int port(String key, int defaultValue) {
        return parsed(key, Integer.toString(defaultValue), text -> {
            String digits = text.strip();
            int port = WHOLE_NUMBER.matcher(digits).matches() && digits.length() <= 5 ? Integer.parseInt(digits) : -1;
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("is not a port; allowed 1 to 65535");
            }
            return port;
        });
    }

    boolean bool(String key, boolean defaultValue) {
        return parsed(key, Boolean.toString(defaultValue), text -> switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("is not true or false");
        });
    }

    /**
     * One of an enum's configuration spellings. YAML 1.1 reads an unquoted {@code off} as the boolean false, so false
     * is taken as {@code off} where {@code off} is allowed.
     */
    <E extends Enum<E>> E choice(String key, Class<E> type, String defaultValue) {
        E[] constants = type.getEnumConstants();
        JsonNode value = value(key);
        String text = value != null && value.isBoolean() && !value.booleanValue() ? "off" : null;
        return parsed(key, text, defaultValue, candidate -> {
            for (E constant : constants) {
                if (ConfigChoice.spelling(constant).equalsIgnoreCase(candidate.strip())) {
                    return constant;
                }
            }
            StringJoiner allowed = new StringJoiner("|");
            for (E constant : constants) {
                allowed.add(ConfigChoice.spelling(constant));
            }
            throw new IllegalArgumentException("is not one of " + allowed);
        });
    }

    /** A file system path; a relative one in the file is relative to the file's directory. */
    Path path(String key, String defaultValue) {
        return parsed(key, defaultValue, text -> toPath(key, text));
    }

    Optional<Path> optionalPath(String key) {
        Optional<String> text = scalar(key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(toPath(key, text.get()));
        } catch (IllegalArgumentException e) {
            tree.problem(pathOf(key), "'" + text.get() + "' " + e.getMessage());
            return Optional.empty();
        }
    }

    private Path toPath(String key, String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("is empty; expected a file system path");
        }
        Path value;
        try {
            value = Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("is not a valid path: " + e.getReason());
        }
        boolean fromFile = tree.flagOf(pathOf(key)).isEmpty();
        if (fromFile && !value.isAbsolute() && tree.baseDir().isPresent()) {
            return tree.baseDir().get().resolve(value).normalize();
        }
        return value;
    }

    /**
     * The name of an environment variable. The value is not repeated in the error message: a common mistake is to
     * write the password itself here.
     */
    String envName(String key, String defaultValue) {
        Optional<String> text = scalar(key);
        if (text.isEmpty()) {
            return defaultValue;
        }
        if (!ENV_NAME.matcher(text.get()).matches()) {
            tree.problem(pathOf(key), "is not an environment variable name (letters, digits and '_', not starting with"
                    + " a digit); it names the variable that holds the secret, not the secret itself");
            return defaultValue;
        }
        return text.get();
    }

    /** A list of scalars; a single scalar counts as a list of one. */
    List<String> texts(String key) {
        JsonNode value = value(key);
        List<String> result = new ArrayList<>();
        if (value == null) {
            return result;
        }
        if (!value.isArray()) {
            scalar(key).ifPresent(result::add);
            return result;
        }
        for (int i = 0; i < value.size(); i++) {
            JsonNode element = value.get(i);
            if (element.isValueNode() && !element.isNull()) {
                result.add(element.asText());
            } else {
                tree.problem(pathOf(key) + "[" + i + "]", describe(element) + " is not a value");
            }
        }
        return result;
    }

    /** A mapping whose keys are data, such as database names, with scalar values. */
    Map<String, String> textMap(String key) {
        String keyPath = pathOf(key);
        tree.openMap(keyPath);
        JsonNode value = value(key);
        Map<String, String> result = new LinkedHashMap<>();
        if (value == null) {
            return result;
        }
        if (!value.isObject()) {
            tree.problem(keyPath, describe(value) + " is not a mapping; expected name: name pairs");
            return result;
        }
        addNames(keyPath, "", value, result);
        return result;
    }

    /**
     * The pairs of {@code mapping} into {@code result}. A nested mapping is a key with dots in it given on the command
     * line ({@code --set verifier.time-columns.public.metrics=time} splits at every dot): its keys are joined back.
     */
    private void addNames(String keyPath, String prefix, JsonNode mapping, Map<String, String> result) {
        for (Map.Entry<String, JsonNode> field : mapping.properties()) {
            String name = prefix + field.getKey();
            JsonNode element = field.getValue();
            if (element.isObject() && !element.isEmpty()) {
                addNames(keyPath, name + ".", element, result);
            } else if (element.isValueNode() && !element.isNull() && !element.asText().isBlank()) {
                result.put(name, element.asText());
            } else {
                tree.problem(keyPath + "." + name, describe(element) + " is not a name");
            }
        }
    }

    /** Records a problem about a key of this mapping that only a check across several values can find. */
    void problem(String key, String detail) {
        tree.problem(pathOf(key), detail);
    }

    String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private <T> T parsed(String key, String defaultValue, Function<String, T> parser) {
        return parsed(key, null, defaultValue, parser);
    }

    private <T> T parsed(String key, String replacement, String defaultValue, Function<String, T> parser) {
        Optional<String> text = replacement != null ? Optional.of(replacement) : scalar(key);
        if (text.isPresent()) {
            try {
                return parser.apply(text.get());
            } catch (IllegalArgumentException e) {
                tree.problem(pathOf(key), "'" + text.get() + "' " + e.getMessage());
            }
        }
        return parser.apply(defaultValue);
    }

    private Optional<String> scalar(String key) {
        JsonNode value = value(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isValueNode()) {
            tree.notASingleValue(pathOf(key), describe(value));
            return Optional.empty();
        }
        return Optional.of(value.asText());
    }

    private JsonNode value(String key) {
        tree.known(pathOf(key));
        if (node == null) {
            return null;
        }
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    private static String describe(JsonNode value) {
        if (value.isArray()) {
            return "a list";
        }
        if (value.isObject()) {
            return "a mapping";
        }
        return "'" + value.asText() + "'";
    }
}
