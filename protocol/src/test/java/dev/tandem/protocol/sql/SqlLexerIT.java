package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lexer against the real thing: PostgreSQL 17 decides what a constant means, how an identifier is normalised,
 * and which spellings it rejects; the lexer must agree on every row. Constants travel as a bind parameter to a
 * function that EXECUTEs them, so the server's lexer reads them and pgjdbc's own SQL parser never does.
 */
class SqlLexerIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static Connection connection;

    @BeforeAll
    static void connect() throws SQLException {
        String db = PG.pair().freshDatabase("lexer");
        connection = PG.source().connect(db);
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE FUNCTION eval(expression text) RETURNS text LANGUAGE plpgsql AS $$"
                    + " DECLARE result text;"
                    + " BEGIN EXECUTE 'SELECT (' || expression || E')::text' INTO result; RETURN result; END $$");
        }
        assertThat(PG.source().queryValue(db, "SHOW server_encoding")).isEqualTo("UTF8");
    }

    @AfterAll
    static void close() throws SQLException {
        connection.close();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "'abc'", "'it''s'", "'a\\b'", "''", "E'a\\nb\\tc\\\\d\\'e'", "e'x''y'", "E'\\x41\\101\\u00e9\\U0001F600\\q'",
        "'a'\n'b'", "'a'  \r\n  'b'\n'c'", "'a' -- c\n'b'", "'a'\n-- c\n'b'", "E'a'\n'\\''",
        "$$x'y$$", "$t$ $$ $x$ $t$", "$a$x$ba$y$a$", "$Tag$x$tag$y$Tag$", "$_1$x$_1$", "$ä$x$ä$",
        "U&'d\\0061t\\+000061'", "u&'d!0061t!!' UESCAPE '!'", "U&'a#0062' /* c */ uescape\n'#'", "N'nat'", "B'1010'",
    })
    void decodesConstantsAsPostgresDoes(String literal) throws SQLException {
        TokenBuffer tokens = TokenBuffer.tokenize(literal);
        assertThat(tokens.size()).isEqualTo(1);
        assertThat(tokens.malformed(0)).isFalse();
        assertThat(tokens.stringValue(0)).isEqualTo(eval(literal));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"'a\\'b'", "'a\\\\b\\n'", "N'x\\'y'", "'a\\''\n'\\t'"})
    void decodesPlainStringsWithBackslashesWhenStandardConformingStringsIsOff(String literal) throws SQLException {
        TokenBuffer tokens = TokenBuffer.tokenize(literal, false);
        assertThat(tokens.size()).isEqualTo(1);
        try (Statement s = connection.createStatement()) {
            s.execute("SET standard_conforming_strings = off; SET escape_string_warning = off");
            assertThat(tokens.stringValue(0)).isEqualTo(eval(literal));
        } finally {
            try (Statement s = connection.createStatement()) {
                s.execute("RESET standard_conforming_strings; RESET escape_string_warning");
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "Metrics", "\"Metrics\"", "\"a\"\"b\"", "ÄBC", "\"ÅÄÖ\"", "TITLE", "a$b", "_x1", "U&\"\\00C4x\"",
        "U&\"d!0061t\" UESCAPE '!'", "U&\"a\"\"\\0062\"",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "\"éééééééééééééééééééééééééééééééééééééééé\"", "\"€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€\"",
    })
    void normalisesIdentifiersAsPostgresDoes(String identifier) throws SQLException {
        TokenBuffer tokens = TokenBuffer.tokenize(identifier);
        assertThat(tokens.size()).isEqualTo(1);
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT 1 AS " + identifier)) {
            assertThat(tokens.identifier(0)).isEqualTo(rs.getMetaData().getColumnLabel(1));
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "'open", "E'open\\'", "$$open", "$q$open $Q$", "\"open", "\"\"", "U&\"\"", "123abc", "1e", "1ex", "0x", "1__0",
        "0x_", "1.x", "U&\"x\" UESCAPE 'ab'", "U&\"x\" UESCAPE 'a'", "U&'x' UESCAPE '+'", "1 /* open", "1 /* a /* b */",
    })
    void flagsWhatPostgresRejects(String text) {
        TokenBuffer tokens = TokenBuffer.tokenize(text);
        boolean flagged = false;
        for (int i = 0; i < tokens.size(); i++) {
            flagged |= tokens.malformed(i);
        }
        assertThat(flagged).as("lexer flags %s", text).isTrue();
        assertThatThrownBy(() -> eval(text)).isInstanceOf(SQLException.class);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"U&'\\zzzz'", "U&'\\+110000'", "U&\"\\zz\""})
    void cannotDecodeWhatPostgresCannotDecode(String text) {
        TokenBuffer tokens = TokenBuffer.tokenize(text);
        assertThat(tokens.is(0, TokenKind.STRING) ? tokens.stringValue(0) : tokens.identifier(0)).isNull();
        assertThatThrownBy(() -> eval(text)).isInstanceOf(SQLException.class);
    }

    private static String eval(String expression) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT eval(?)")) {
            s.setString(1, expression + "\n");
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
