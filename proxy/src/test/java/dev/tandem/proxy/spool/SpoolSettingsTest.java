package dev.tandem.proxy.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class SpoolSettingsTest {

    private static final Path DIR = Path.of("spool");

    @Test
    void defaultsMatchTheDocumentedConfiguration() {
        SpoolSettings settings = SpoolSettings.defaults(DIR);

        assertThat(settings.maxBytes()).isEqualTo(10L << 30);
        assertThat(settings.segmentBytes()).isEqualTo(64L << 20);
        assertThat(settings.fsync()).isEqualTo(FsyncPolicy.INTERVAL);
        assertThat(settings.fsyncInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.onFull()).isEqualTo(OnFull.BLOCK);
    }

    @Test
    void capMustLeaveRoomForTwoSegments() {
        assertThatThrownBy(() -> SpoolSettings.defaults(DIR).withMaxBytes(100L << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mirror.spool.max-bytes (104857600 bytes) must be at least twice the segment size");
    }

    @Test
    void segmentSizeIsBounded() {
        assertThatThrownBy(() -> SpoolSettings.defaults(DIR).withSegmentBytes(100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segment size must be between 1024 and");
    }

    @Test
    void intervalNeedsAPositiveInterval() {
        assertThatThrownBy(() -> SpoolSettings.defaults(DIR).withFsyncInterval(Duration.ZERO))
                .hasMessageContaining("mirror.spool.fsync-interval must be between 1 ms and 1 h; got PT0S");
        assertThatThrownBy(() -> SpoolSettings.defaults(DIR).withFsyncInterval(null))
                .hasMessageContaining("mirror.spool.fsync-interval must be set when fsync is interval");
        assertThat(SpoolSettings.defaults(DIR).withFsync(FsyncPolicy.ALWAYS).withFsyncInterval(null).fsyncInterval())
                .isNull();
    }

    @Test
    void requiredPartsAreNamed() {
        assertThatThrownBy(() -> SpoolSettings.defaults(null)).hasMessage("mirror.spool.dir must be set");
        assertThatThrownBy(() -> SpoolSettings.defaults(DIR).withOnFull(null))
                .hasMessage("mirror.spool.on-full must be set (block or shed)");
    }

    @Test
    void largestRecordFitsBesideAFullSegment() {
        SpoolSettings settings = new SpoolSettings(DIR, 4096, 2048, FsyncPolicy.NEVER, null, OnFull.SHED);

        assertThat(settings.maxPayloadBytes()).isEqualTo(4096 - 2048 - 2 * 32 - 28);
    }
}
