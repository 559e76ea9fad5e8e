package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.SettingChange;
import dev.tandem.protocol.sql.StatementClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InputSettingsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SET TimeZone TO 'Asia/Tokyo'|true",
        "SET LOCAL TIME ZONE INTERVAL '+03:00' HOUR TO MINUTE|true",
        "set session \"DateStyle\" = 'DMY'|true",
        "SET intervalstyle TO iso_8601|true",
        "SET standard_conforming_strings = off|true",
        "RESET timezone|true",
        "RESET ALL|true",
        "DISCARD ALL|true",
        "SELECT set_config('TimeZone', 'UTC', false)|true",
        "select SET_CONFIG('datestyle', 'dmy', true), 1|true",
        "SET statement_timeout = 0|false",
        "SET search_path TO app|false",
        "RESET work_mem|false",
        "DEALLOCATE ALL|false",
        "DISCARD TEMP|false",
        "SELECT 'config'|false",
        "INSERT INTO t VALUES ('set_config')|false",
    })
    void tellsTheStatementsThatMayChangeHowValuesAreRead(String sql, boolean changes) {
        ClassifiedStatement s = StatementClassifier.classify(sql).get(0);
        assertThat(InputSettings.mayChange(s, sql)).as(sql).isEqualTo(changes);
    }

    @Test
    void takesReportsOfItsOwnSettingsOnlyAndKeepsItselfWhenNothingChanges() {
        InputSettings s = InputSettings.UNKNOWN.reported("TimeZone", "UTC").reported("DateStyle", "ISO, MDY");
        assertThat(s).isEqualTo(new InputSettings("UTC", "ISO, MDY", null, null));
        assertThat(s.reported("server_version", "16.4")).isSameAs(s);
        assertThat(s.reported("TimeZone", "UTC")).isSameAs(s);
        assertThat(s.reported("timezone", "Asia/Tokyo").timeZone()).isEqualTo("Asia/Tokyo");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "null", value = {
        "DMY|ISO, DMY",
        "sql|SQL, MDY",
        "Postgres, ymd|Postgres, YMD",
        "German|German, DMY",
        "German, YMD|German, YMD",
        "European|ISO, DMY",
        "us|ISO, MDY",
        "ISO, bogus|null",
    })
    void aDateStyleChangeIsMergedWithThePresentOneAsPostgresMergesIt(String change, String merged) {
        InputSettings now = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        InputSettings after = now.changed("DateStyle", new SettingChange(change, false), InputSettings.UNKNOWN);
        assertThat(after == null ? null : after.dateStyle()).as(change).isEqualTo(merged);
    }

    @Test
    void aResetReturnsToTheStartUpValueAndOtherSettingsChangeNothing() {
        InputSettings startup = new InputSettings("Europe/Paris", "ISO, DMY", "postgres", "on");
        InputSettings now = new InputSettings("UTC", "SQL, MDY", "iso_8601", "off");
        assertThat(now.changed("timezone", new SettingChange(null, false), startup).timeZone())
                .isEqualTo("Europe/Paris");
        assertThat(now.changed("standard_conforming_strings", new SettingChange("on", true), startup))
                .isEqualTo(new InputSettings("UTC", "SQL, MDY", "iso_8601", "on"));
        assertThat(now.changed("work_mem", new SettingChange("64MB", false), startup)).isSameAs(now);
        assertThat(now.changed("IntervalStyle", new SettingChange(null, false), InputSettings.UNKNOWN))
                .as("a start-up value not known").isNull();
    }

    @Test
    void keepsItsReplicationRoleThroughReportsAndChanges() {
        InputSettings replica = new InputSettings("UTC", "ISO, MDY", "postgres", "on")
                .withReplicationRole(ReplicationRole.REPLICA);
        assertThat(replica.reported("TimeZone", "Asia/Tokyo").replicationRole()).isEqualTo(ReplicationRole.REPLICA);
        assertThat(replica.changed("DateStyle", new SettingChange("DMY", false), InputSettings.UNKNOWN)
                .replicationRole()).isEqualTo(ReplicationRole.REPLICA);
        assertThat(replica.withReplicationRole(ReplicationRole.REPLICA)).isSameAs(replica);
        assertThat(InputSettings.UNKNOWN.replicationRole()).as("what a record that did not keep it ran under")
                .isEqualTo(ReplicationRole.ORIGIN);
    }
}
