package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdentifiersTest {

    @Test
    void quotesIdentifiersAlwaysAndDoublesQuotes() {
        assertThat(Identifiers.quoteIdentifier("metrics")).isEqualTo("\"metrics\"");
        assertThat(Identifiers.quoteIdentifier("My\"Table")).isEqualTo("\"My\"\"Table\"");
        assertThat(Identifiers.quoteQualified("public", "select")).isEqualTo("\"public\".\"select\"");
    }

    @Test
    void quotesLiteralsSafelyUnderEitherStringSetting() {
        assertThat(Identifiers.quoteLiteral("2026-01-01 00:00:00+00")).isEqualTo("'2026-01-01 00:00:00+00'");
        assertThat(Identifiers.quoteLiteral("it's")).isEqualTo("'it''s'");
        assertThat(Identifiers.quoteLiteral("a\\b'c")).isEqualTo("E'a\\\\b''c'");
        assertThatThrownBy(() -> Identifiers.quoteLiteral("a\0b")).hasMessageContaining("NUL");
    }

    @Test
    void normalisesTheWayPostgresDoes() {
        assertThat(Identifiers.normalize("Metrics")).isEqualTo("metrics");
        assertThat(Identifiers.normalize("\"Metrics\"")).isEqualTo("Metrics");
        assertThat(Identifiers.normalize("\"a\"\"b\"")).isEqualTo("a\"b");
    }

    @Test
    void foldsOnlyAsciiLettersLikePostgresInUtf8() {
        assertThat(Identifiers.normalize("ÄBC")).isEqualTo("Äbc");
        assertThat(Identifiers.normalize("TITLE")).isEqualTo("title"); // never a Turkish dotless i
        String lower = "already_lower";
        assertThat(Identifiers.normalize(lower)).isSameAs(lower); // nothing to fold, nothing copied
    }

    @Test
    void parsesQualifiedNames() {
        assertThat(Identifiers.parseQualifiedName("public.Metrics")).isEqualTo(List.of("public", "metrics"));
        assertThat(Identifiers.parseQualifiedName("\"My.Schema\".\"T\"\"x\"")).isEqualTo(List.of("My.Schema", "T\"x"));
        assertThat(Identifiers.parseQualifiedName("metrics")).isEqualTo(List.of("metrics"));
        assertThatThrownBy(() -> Identifiers.parseQualifiedName("public.")).hasMessageContaining("empty name part");
        assertThatThrownBy(() -> Identifiers.parseQualifiedName("\"open")).hasMessageContaining("unterminated");
    }
}
