package dev.tandem.proxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Values given on the command line, which win over {@code tandem.yaml}. Each names the configuration key it sets
 * (dotted path, e.g. {@code mirror.spool.fsync}) and the flag it came from, so that a bad value is reported as
 * {@code mirror.spool.fsync: 'sometimes' is not one of always|interval|never (from --spool-fsync)}. The keys
 * {@code source} and {@code target} take {@code host:port} and set both {@code host} and {@code port}.
 */
public final class Overrides {

    /**
     * One command-line value.
     *
     * @param values one element for a single value; the whole list for a list key such as
     *               {@code mirror.tables.include}, replacing the file's list
     */
    public record Entry(String key, List<String> values, boolean list, String flag) {

        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(flag, "flag");
            values = List.copyOf(values);
        }
    }

    private static final Overrides NONE = new Overrides(List.of());

    private final List<Entry> entries;

    private Overrides(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public static Overrides none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** In the order given; a later entry for the same key wins. */
    public List<Entry> entries() {
        return entries;
    }

    @Override
    public String toString() {
        return entries.toString();
    }

    /** Collects overrides in order. */
    public static final class Builder {

        private final List<Entry> entries = new ArrayList<>();

        private Builder() {
        }

        /** Sets {@code key} to {@code value}; a null value is ignored, so unset options can be passed straight in. */
        public Builder set(String key, String value, String flag) {
            if (value != null) {
                entries.add(new Entry(key, List.of(value), false, flag));
            }
            return this;
        }

        /** Replaces the list at {@code key}; a null or empty list is ignored. */
        public Builder setList(String key, List<String> values, String flag) {
            if (values != null && !values.isEmpty()) {
                entries.add(new Entry(key, values, true, flag));
            }
            return this;
        }

        public Overrides build() {
            return new Overrides(entries);
        }
    }
}
