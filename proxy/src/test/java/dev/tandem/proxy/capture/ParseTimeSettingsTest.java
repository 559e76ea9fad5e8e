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

    /**
     * Hours east of UTC as a SET spells them and as the server reports them (each pair seen from PostgreSQL 17's
     * {@code SET TIME ZONE ...; SHOW timezone}).
     */
    @Test
    void aZoneSetAsHoursIsTheNameTheServerReportsForIt() {
        String[][] pairs = {{"+05", "<+05>-05"}, {"-7", "<-07>+07"}, {"5.5", "<+05:30>-05:30"},
                {"-3.25", "<-03:15>+03:15"}, {"0", "<+00>-00"}, {"1e1", "<+10>-10"}, {" 5", "<+05>-05"},
                {"5.50001", "<+05:30>-05:30"}};
        for (String[] pair : pairs) {
            InputSettings asSet = new InputSettings(pair[0], "ISO, MDY", "postgres", "on");
            InputSettings asReported = new InputSettings(pair[1], "ISO, MDY", "postgres", "on");
            assertThat(parsedUnder(LITERAL, asSet).unreplayable(asReported)).as(pair[0]).isNull();
            assertThat(parsedUnder(LITERAL, asReported).unreplayable(asSet)).as(pair[0]).isNull();
        }
        // other hours, and POSIX rules the server keeps as written: '+05:30' is 5.5 hours WEST, as UTC+5 is 5
        InputSettings plus5 = new InputSettings("<+05>-05", "ISO, MDY", "postgres", "on");
        for (String other : new String[] {"+6", "+05:30", "UTC+5", "UTC-5", "<-05>+05"}) {
            assertThat(parsedUnder(LITERAL, plus5).unreplayable(new InputSettings(other, "ISO, MDY", "postgres",
                    "on"))).as(other).contains("TimeZone");
        }
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
