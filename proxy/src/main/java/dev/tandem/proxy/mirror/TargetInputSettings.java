package dev.tandem.proxy.mirror;

import dev.tandem.proxy.capture.InputSettings;
import dev.tandem.proxy.capture.ReplicationRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link InputSettings} in force in one target transaction, which starts under the target connection's own (as
 * the target reported them) and takes a statement's before the statement runs, through
 * {@link MirrorSchema#SET_INPUT_SETTINGS} (local to the transaction, so the next one starts over). A setting a
 * statement's record does not know (written by an older version) is the target's own.
 *
 * <p>{@code session_replication_role} is set apart ({@link MirrorSchema#SET_REPLICATION_ROLE}): setting it takes a
 * privilege the other settings do not, so it is set only where a statement's differs from origin (a statement under
 * origin runs under the connection's own value, which is origin unless the operator gave the mirror's user another),
 * and back after one; never to the value in force.
 */
final class TargetInputSettings {

    private final List<String> own;
    private List<String> current;
    private InputSettings last;
    private final ReplicationRole ownRole;
    private ReplicationRole role;

    /**
     * @param reported the run-time parameters the target connection reported
     * @param ownRole  the connection's session_replication_role outside a transaction
     */
    TargetInputSettings(Map<String, String> reported, ReplicationRole ownRole) {
        this.ownRole = ownRole;
        this.role = ownRole;
        List<String> values = new ArrayList<>(InputSettings.NAMES.size());
        for (String name : InputSettings.NAMES) {
            values.add(reported.get(name));
        }
        this.own = values;
        this.current = values;
    }

    /**
     * The parameters of {@link MirrorSchema#SET_INPUT_SETTINGS} to run before a statement that ran under
     * {@code settings} on the source, or null when those are in force already: the values to set, then those it takes
     * for in force until then, joined by chr(31), which the statement checks the session still has.
     */
    String[] before(InputSettings settings) {
        if (settings.equals(last)) {
            return null;
        }
        last = settings;
        List<String> wanted = new ArrayList<>(own.size());
        for (int i = 0; i < own.size(); i++) {
            String value = settings.values().get(i);
            wanted.add(value != null ? value : own.get(i));
        }
        if (wanted.equals(current)) {
            return null;
        }
        String[] parameters = wanted.toArray(new String[wanted.size() + 1]);
        parameters[wanted.size()] = String.join("\u001f", current);
        current = wanted;
        return parameters;
    }

    /** The values in force now, in the order of {@link InputSettings#NAMES}. */
    List<String> inForce() {
        return current;
    }

    /** The session_replication_role in force now. */
    ReplicationRole replicationRole() {
        return role;
    }

    /**
     * The value of {@link MirrorSchema#SET_REPLICATION_ROLE} to run before a statement that ran under
     * {@code settings} on the source, or null when it is in force already.
     */
    String replicationRoleBefore(InputSettings settings) {
        ReplicationRole wanted = settings.replicationRole() == ReplicationRole.ORIGIN ? ownRole
                : settings.replicationRole();
        if (wanted == role) {
            return null;
        }
        role = wanted;
        return role.setting();
    }
}
