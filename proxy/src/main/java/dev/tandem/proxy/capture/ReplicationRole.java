package dev.tandem.proxy.capture;

import java.util.Locale;

/**
 * The values of {@code session_replication_role}. Under {@code replica} a session's writes fire only the triggers
 * and rules enabled {@code ALWAYS} or {@code REPLICA}, and no foreign-key checks (those are triggers too); under
 * {@code origin} (the default) and {@code local} the ordinary ones fire. A replayed write must see the same on the
 * target, or a BEFORE trigger changes its row there only, or a foreign key refuses it there only.
 */
public enum ReplicationRole {
    ORIGIN,
    REPLICA,
    LOCAL;

    /** The value as {@code set_config} takes it. */
    public String setting() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value PostgreSQL reads {@code text} as (without regard to case, as for every enum setting); else null. */
    public static ReplicationRole parse(String text) {
        for (ReplicationRole role : values()) {
            if (role.name().equalsIgnoreCase(text)) {
                return role;
            }
        }
        return null;
    }
}
