package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.capture.InputSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetInputSettingsTest {

    private static final Map<String, String> TARGET = Map.of("TimeZone", "UTC", "DateStyle", "ISO, MDY",
            "IntervalStyle", "postgres", "standard_conforming_strings", "on", "server_version", "16.4");

    @Test
    void setsOnlyWhatDiffersFromWhatIsInForceAndTheTargetsOwnForWhatARecordDoesNotKnow() {
        TargetInputSettings inputs = new TargetInputSettings(TARGET);
        assertThat(inputs.before(new InputSettings("UTC", "ISO, MDY", "postgres", "on"))).as("the target's own")
                .isNull();
        assertThat(inputs.before(InputSettings.UNKNOWN)).as("an older record's statement").isNull();
        assertThat(inputs.before(new InputSettings("Asia/Tokyo", "ISO, DMY", "postgres", "on")))
                .containsExactly("Asia/Tokyo", "ISO, DMY", "postgres", "on");
        assertThat(inputs.before(new InputSettings("Asia/Tokyo", "ISO, DMY", "postgres", "on"))).isNull();
        assertThat(inputs.before(new InputSettings("Asia/Tokyo", null, null, "off")))
                .containsExactly("Asia/Tokyo", "ISO, MDY", "postgres", "off");
        assertThat(inputs.before(InputSettings.UNKNOWN)).as("back to the target's own")
                .containsExactly("UTC", "ISO, MDY", "postgres", "on");
    }
}
