package dev.tandem.protocol.sql;

/**
 * What a SET or RESET gives a setting other than {@code search_path}: {@code value} as {@code set_config} would take
 * it (the items of a list joined with {@code ", "}, string constants verbatim, unquoted names folded), or null for
 * its start-up value ({@code RESET x}, {@code SET x TO DEFAULT}, {@code SET TIME ZONE LOCAL}). {@code local} is
 * {@code SET LOCAL}. A value written in another form ({@code SET TIME ZONE INTERVAL '+03:00' HOUR TO MINUTE},
 * {@code SET x FROM CURRENT}) has no SettingChange.
 */
public record SettingChange(String value, boolean local) {

    public boolean isDefault() {
        return value == null;
    }
}
