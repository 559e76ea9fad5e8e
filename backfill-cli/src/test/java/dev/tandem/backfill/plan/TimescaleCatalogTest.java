package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimescaleCatalogTest {

    @Test
    void deletesFromCompressedChunksFromTimescale211On() {
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.9.3")).isFalse();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.10.3")).isFalse();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.11.0")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.14.0-dev")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.26.0")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("3.0.0")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("1.7.5")).isFalse();
    }
}
