package dev.tandem.proxy.config;

import java.util.Locale;

/**
 * An enum whose constants are spelled in {@code tandem.yaml} and on the command line as {@link #configValue()}. Enums
 * of other packages used as settings (the spool's policies) need not implement it: they are spelled as their names in
 * lower case, so each setting has one enum, not a configuration twin mapped to a runtime one.
 */
public interface ConfigChoice {

    String configValue();

    /** How {@code constant} is written in the configuration. */
    static String spelling(Enum<?> constant) {
        return constant instanceof ConfigChoice choice ? choice.configValue()
                : constant.name().toLowerCase(Locale.ROOT);
    }
}
