package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ParseTimeSettingsTest {

    private static final InputSettings UTC = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
    private static final InputSettings TOKYO = new InputSettings("Asia/Tokyo", "ISO, MDY", "postgres", "on");
    private static final String LITERAL = "INSERT INTO m VALUES ('2026-03-01 10:00', $1)";

    private static ParseTimeSettings parsedUnder(String sql, InputSettings settings) {
        ParseTimeSettings p = new ParseTimeSettings(sql);
        p.parsed(settings);
        return p;
    }

    @Test
    void aRunUnderTheParsesSettingsIsReplayable() {
        assertThat(parsedUnder(LITERAL, UTC).unreplayable(UTC)).isNull();
        // under session_replication_role replica: not a setting the text is read under
        assertThat(parsedUnder(LITERAL, UTC).unreplayable(UTC.withReplicationRole(ReplicationRole.REPLICA))).isNull();
    }

    @Test
    void aRunUnderAnotherZoneOfATextWithAStringConstantIsNotAndNeitherAreTheRunsAfterIt() {
        ParseTimeSettings p = parsedUnder(LITERAL, UTC);
        assertThat(p.unreplayable(TOKYO)).contains("TimeZone (Asia/Tokyo, parsed under UTC)");
        assertThat(p.unreplayable(UTC)).contains("run earlier under other settings");
    }

    @Test
    void aTextWithoutAStringConstantReadsNothingTheSettingsDecide() {
        ParseTimeSettings p = parsedUnder("INSERT INTO m VALUES ($1::timestamptz, 1.5, $$x$$ || $2)", UTC);
        assertThat(p.unreplayable(TOKYO)).as("a dollar-quoted string is a string constant").isNotNull();
        assertThat(parsedUnder("INSERT INTO m VALUES ($1::timestamptz, 1.5) -- 'comment'", UTC).unreplayable(TOKYO))
                .isNull();
    }

    @Test
    void theStringRuleCountsOnlyForATextWithABackslash() {
        InputSettings nonStandard = new InputSettings("UTC", "ISO, MDY", "postgres", "off");
        assertThat(parsedUnder(LITERAL, UTC).unreplayable(nonStandard)).isNull();
        assertThat(parsedUnder("INSERT INTO m VALUES ('a\\b')", UTC).unreplayable(nonStandard))
                .contains("standard_conforming_strings");
    }

    @Test
    void aSetFollowedInItsRequestAndTheServersReportSpellOneValueDifferently() {
        InputSettings asSet = new InputSettings("asia/tokyo", "ISO, MDY", "SQL_STANDARD", "true");
        InputSettings asReported = new InputSettings("Asia/Tokyo", "ISO, MDY", "sql_standard", "on");
        assertThat(parsedUnder("INSERT INTO m VALUES ('a\\b', '1 day')", asSet).unreplayable(asReported)).isNull();
    }

    @Test
    void aParseUnderSettingsNotFollowedCannotBeReplayed() {
        assertThat(parsedUnder(LITERAL, null).unreplayable(UTC)).contains("could not follow");
    }

    @Test
    void aRunBeforeTheParseIsAnsweredIsLeftAsItWas() {
        assertThat(new ParseTimeSettings(LITERAL).unreplayable(TOKYO)).isNull();
    }
}
