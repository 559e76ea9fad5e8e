package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.capture.InputSettings;
import dev.tandem.proxy.capture.ReplicationRole;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetInputSettingsTest {

    private static final Map<String, String> TARGET = Map.of("TimeZone", "UTC", "DateStyle", "ISO, MDY",
            "IntervalStyle", "postgres", "standard_conforming_strings", "on", "server_version", "16.4");

    @Test
    void setsOnlyWhatDiffersFromWhatIsInForceAndTheTargetsOwnForWhatARecordDoesNotKnow() {
        TargetInputSettings inputs = new TargetInputSettings(TARGET, ReplicationRole.ORIGIN);
        assertThat(inputs.before(new InputSettings("UTC", "ISO, MDY", "postgres", "on"))).as("the target's own")
                .isNull();
        assertThat(inputs.before(InputSettings.UNKNOWN)).as("an older record's statement").isNull();
        assertThat(inputs.before(new InputSettings("Asia/Tokyo", "ISO, DMY", "postgres", "on")))
                .as("then what it takes for in force, for the statement to check")
                .containsExactly("Asia/Tokyo", "ISO, DMY", "postgres", "on", "UTC\u001fISO, MDY\u001fpostgres\u001fon");
        assertThat(inputs.before(new InputSettings("Asia/Tokyo", "ISO, DMY", "postgres", "on"))).isNull();
        assertThat(inputs.before(new InputSettings("Asia/Tokyo", null, null, "off"))).containsExactly(
                "Asia/Tokyo", "ISO, MDY", "postgres", "off", "Asia/Tokyo\u001fISO, DMY\u001fpostgres\u001fon");
        assertThat(inputs.before(InputSettings.UNKNOWN)).as("back to the target's own").containsExactly(
                "UTC", "ISO, MDY", "postgres", "on", "Asia/Tokyo\u001fISO, MDY\u001fpostgres\u001foff");
    }

    @Test
    void setsSessionReplicationRoleOnlyWhereItDiffersFromOriginAndBackAfter() {
        TargetInputSettings inputs = new TargetInputSettings(TARGET, ReplicationRole.ORIGIN);
        InputSettings origin = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        InputSettings replica = origin.withReplicationRole(ReplicationRole.REPLICA);
        assertThat(inputs.replicationRoleBefore(origin)).as("the transaction starts under origin").isNull();
        assertThat(inputs.replicationRoleBefore(InputSettings.UNKNOWN)).isNull();
        assertThat(inputs.replicationRoleBefore(replica)).isEqualTo("replica");
        assertThat(inputs.before(replica)).as("the other settings are what they were").isNull();
        assertThat(inputs.replicationRoleBefore(replica)).isNull();
        assertThat(inputs.replicationRoleBefore(origin.withReplicationRole(ReplicationRole.LOCAL))).isEqualTo("local");
        assertThat(inputs.replicationRoleBefore(origin)).isEqualTo("origin");
    }

    /**
     * The mirror's user may have another value of its own (an operator's {@code ALTER ROLE tandem SET
     * session_replication_role = replica}): statements under origin keep it, as before, and the others are set only
     * where it differs, so a user who may not set it is not refused a value already in force.
     */
    @Test
    void statementsUnderOriginKeepTheTargetUsersOwnValue() {
        TargetInputSettings inputs = new TargetInputSettings(TARGET, ReplicationRole.REPLICA);
        InputSettings origin = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        assertThat(inputs.replicationRoleBefore(origin)).isNull();
        assertThat(inputs.replicationRoleBefore(origin.withReplicationRole(ReplicationRole.REPLICA))).isNull();
        assertThat(inputs.replicationRoleBefore(origin.withReplicationRole(ReplicationRole.LOCAL))).isEqualTo("local");
        assertThat(inputs.replicationRoleBefore(origin)).isEqualTo("replica");
    }
}
