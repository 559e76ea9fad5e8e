package dev.tandem.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The untyped configuration tree (the YAML file with the command-line overrides applied) while it is being read
 * into records. It remembers which keys were read, where each value came from, and every problem found, so the
 * loader can report all of them at once instead of stopping at the first.
 */
final class ConfigTree {

    private static final Pattern KEY_PATH = Pattern.compile("[^.\\s]+(?:\\.[^.\\s]+)*");

    private final ObjectNode root;
    private final Optional<Path> baseDir;
    private final Map<String, String> flagOf = new HashMap<>();
    private final Set<String> knownPaths = new LinkedHashSet<>();
    private final Set<String> openMaps = new LinkedHashSet<>();
    private final List<String> problems = new ArrayList<>();
    /** Keys of a single value that hold a mapping: one problem each, not one more per key in the mapping. */
    private final Set<String> mappingsForValues = new HashSet<>();

    /**
     * @param baseDir the configuration file's directory, against which relative paths in the file are resolved;
     *                empty without a file
     */
    ConfigTree(ObjectNode root, Optional<Path> baseDir) {
        this.root = root;
        this.baseDir = baseDir;
    }

    Section root() {
        return new Section(this, "", root);
    }

    /** Applies one command-line value on top of the file's, remembering its flag for error messages. */
    void apply(Overrides.Entry override) {
        String key = override.key();
        if (!KEY_PATH.matcher(key).matches()) {
            problem(key, "is not a configuration key (expected a dotted path such as mirror.spool.max-bytes)",
                    override.flag());
            return;
        }
        if (!override.list() && (key.equals("source") || key.equals("target"))) {
            String text = override.values().get(0);
            try {
                HostPort address = HostPort.parse(text);
                put(key + ".host", JsonNodeFactory.instance.textNode(address.host()), override.flag());
                put(key + ".port", JsonNodeFactory.instance.numberNode(address.port()), override.flag());
            } catch (IllegalArgumentException e) {
                problem(key, "'" + text + "' " + e.getMessage(), override.flag());
            }
            return;
        }
        if (override.list()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            override.values().forEach(array::add);
            put(key, array, override.flag());
        } else {
            put(key, JsonNodeFactory.instance.textNode(override.values().get(0)), override.flag());
        }
    }

    private void put(String path, JsonNode value, String flag) {
        String[] parts = path.split("\\.", -1);
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (!(child instanceof ObjectNode)) {
                child = node.putObject(parts[i]);
            }
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], value);
        flagOf.put(path, flag);
    }

    void known(String path) {
        knownPaths.add(path);
    }

    /** Marks a mapping whose keys are data (such as database names), not configuration keys. */
    void openMap(String path) {
        openMaps.add(path);
    }

    Optional<String> flagOf(String path) {
        return Optional.ofNullable(flagOf.get(path));
    }

    Optional<Path> baseDir() {
        return baseDir;
    }

    /** Records {@code path: detail}, adding the flag the value came from, if any. */
    void problem(String path, String detail) {
        problem(path, detail, flagOf.get(path));
    }

    /** Records that {@code path}, a key of a single value, holds {@code described} (a mapping or a list). */
    void notASingleValue(String path, String described) {
        mappingsForValues.add(path);
        problem(path, described + " is not a single value");
    }

    private void problem(String path, String detail, String flag) {
        problems.add((path.isEmpty() ? "(top level)" : path) + ": " + detail + (flag == null ? "" : " (from " + flag + ")"));
    }

    /** Adds a problem for every key in the tree that no reader asked for. Call after reading everything. */
    void reportUnknownKeys() {
        reportUnknownKeys("", root);
    }

    private void reportUnknownKeys(String prefix, JsonNode node) {
        if (!(node instanceof ObjectNode) || openMaps.contains(prefix)) {
            return;
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String path = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
            if (knownPaths.contains(path)) {
                if (!mappingsForValues.contains(path)) {
                    reportUnknownKeys(path, field.getValue());
                }
            } else {
                problem(path, unknownKeyDetail(path, prefix), flagUnder(path));
            }
        }
    }

    /** The flag that created {@code path} or a key below it, for an unknown key that came from {@code --set}. */
    private String flagUnder(String path) {
        for (Map.Entry<String, String> entry : flagOf.entrySet()) {
            if (entry.getKey().equals(path) || entry.getKey().startsWith(path + ".")) {
                return entry.getValue();
            }
        }
        return null;
    }

    private String unknownKeyDetail(String path, String parent) {
        String name = KeySuggestions.nameOf(path);
        if (name.equals("password") || name.equals("token")) {
            return "secrets are never written in the configuration; put it in an environment variable and name that"
                    + " variable in " + (parent.isEmpty() ? "" : parent + ".") + name + "-env";
        }
        Optional<String> suggestion = KeySuggestions.suggest(path, knownPaths);
        if (suggestion.isPresent()) {
            return "unknown key; did you mean '" + suggestion.get() + "'?";
        }
        List<String> siblings = new ArrayList<>();
        for (String known : knownPaths) {
            if (KeySuggestions.parentOf(known).equals(parent)) {
                siblings.add(KeySuggestions.nameOf(known));
            }
        }
        return "unknown key; known keys " + (parent.isEmpty() ? "at the top level" : "in " + parent) + ": "
                + String.join(", ", siblings);
    }

    Set<String> knownPaths() {
        return Set.copyOf(knownPaths);
    }

    List<String> problems() {
        return problems;
    }
}
