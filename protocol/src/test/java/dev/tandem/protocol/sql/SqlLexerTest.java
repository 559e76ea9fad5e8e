package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SqlLexerTest {

    /** Tokens as {@code KIND:text}, space-separated; a malformed token gets a trailing {@code !}. */
    static String lex(String sql) {
        SqlLexer lexer = new SqlLexer(sql);
        List<String> out = new ArrayList<>();
        while (lexer.next()) {
            out.add(abbreviation(lexer.kind()) + ":" + lexer.text() + (lexer.malformed() ? "!" : ""));
        }
        return String.join(" ", out);
    }

    private static String abbreviation(TokenKind kind) {
        return switch (kind) {
            case IDENTIFIER -> "id";
            case QUOTED_IDENTIFIER -> "qid";
            case STRING -> "str";
            case NUMBER -> "num";
            case PARAMETER -> "param";
            case OPERATOR -> "op";
            case UNTERMINATED_COMMENT -> "comment";
            case OTHER -> "other";
            default -> kind.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    static Stream<Arguments> tokens() {
        return Stream.of(
                // whitespace and comments
                arguments("", ""),
                arguments(" \t\r\n\f\u000B ", ""),
                arguments("a -- comment ; 'x\nb", "id:a id:b"),
                arguments("a --\rb", "id:a id:b"),
                arguments("a /* c */ b", "id:a id:b"),
                arguments("a /* x /* y */ z */ b", "id:a id:b"),
                arguments("a /*/ still comment */ b", "id:a id:b"),
                arguments("a /**/ b", "id:a id:b"),
                arguments("a /* x **/ b", "id:a id:b"),
                arguments("a /* x /* y */ b", "id:a comment:/* x /* y */ b!"),
                arguments("a /* ' \" $$ */ b", "id:a id:b"),
                // identifiers and keywords
                arguments("SELECT a_1, _b, c$d FROM t", "id:SELECT id:a_1 comma:, id:_b comma:, id:c$d id:FROM id:t"),
                arguments("ÄÖü naïve", "id:ÄÖü id:naïve"),
                arguments("foo$$bar$$", "id:foo$$bar$$"),
                arguments("\"My \"\"quoted\"\" Id\"", "qid:\"My \"\"quoted\"\" Id\""),
                arguments("\"a\".\"b\"", "qid:\"a\" dot:. qid:\"b\""),
                arguments("\"\"", "qid:\"\"!"),
                arguments("\"open", "qid:\"open!"),
                arguments("U&\"d\\0061t\"", "qid:U&\"d\\0061t\""),
                arguments("u&\"x\" UESCAPE '!' y", "qid:u&\"x\" UESCAPE '!' id:y"),
                arguments("U&\"x\" /* c */ uescape\n'#'", "qid:U&\"x\" /* c */ uescape\n'#'"),
                arguments("U&\"x\" UESCAPE 'ab'", "qid:U&\"x\" UESCAPE 'ab'!"),
                arguments("U&\"x\" UESCAPE 'a'", "qid:U&\"x\" UESCAPE 'a'!"),
                arguments("U&\"x\" UESCAPE", "qid:U&\"x\" UESCAPE!"),
                arguments("U&\"x\" uescaped", "qid:U&\"x\" id:uescaped"),
                arguments("U&x", "id:U op:& id:x"),
                // string constants
                arguments("'abc'", "str:'abc'"),
                arguments("'it''s'", "str:'it''s'"),
                arguments("''", "str:''"),
                arguments("'a\\'", "str:'a\\'"),
                arguments("'a\\' b'", "str:'a\\' str:b'!"), // b' opens a bit string
                arguments("'a\\' c'", "str:'a\\' id:c str:'!"),
                arguments("E'it\\'s'", "str:E'it\\'s'"),
                arguments("e'a\\\\' 'b'", "str:e'a\\\\' str:'b'"),
                arguments("E'x''y'", "str:E'x''y'"),
                arguments("E'open\\'", "str:E'open\\'!"),
                arguments("B'1010' b'1' X'1F' x'ff' N'nat' n'x'", "str:B'1010' str:b'1' str:X'1F' str:x'ff' str:N'nat' str:n'x'"),
                arguments("U&'d\\0061t' u&'x'", "str:U&'d\\0061t' str:u&'x'"),
                arguments("U&'d!0061t' UESCAPE '!'", "str:U&'d!0061t' UESCAPE '!'"),
                arguments("'a'\n'b'", "str:'a'\n'b'"),
                arguments("'a'  \n  'b' 'c'", "str:'a'  \n  'b' str:'c'"),
                arguments("'a' -- c\n'b'", "str:'a' -- c\n'b'"),
                arguments("'a' 'b'", "str:'a' str:'b'"),
                arguments("'a' /* c */\n'b'", "str:'a' str:'b'"),
                arguments("E'a'\n'\\''", "str:E'a'\n'\\''"),
                arguments("'open", "str:'open!"),
                arguments("eb'x'", "id:eb str:'x'"),
                // dollar quotes and parameters
                arguments("$$a'b\"c$$", "str:$$a'b\"c$$"),
                arguments("$tag$ $$ $x$ $tag$", "str:$tag$ $$ $x$ $tag$"),
                arguments("$a$x$ba$y$a$", "str:$a$x$ba$y$a$"),
                arguments("$Tag$x$tag$y$Tag$", "str:$Tag$x$tag$y$Tag$"),
                arguments("$_1$x$_1$", "str:$_1$x$_1$"),
                arguments("$ä$x$ä$", "str:$ä$x$ä$"),
                arguments("$1 $23", "param:$1 param:$23"),
                arguments("$1abc", "param:$1abc!"),
                arguments("$1::int", "param:$1 op::: id:int"),
                arguments("$", "other:$"),
                arguments("$abc", "other:$ id:abc"),
                arguments("$$open", "str:$$open!"),
                arguments("$q$open $Q$", "str:$q$open $Q$!"),
                // numbers
                arguments("1 12.5 .5 5. 1e10 1.5E-3 2e+2", "num:1 num:12.5 num:.5 num:5. num:1e10 num:1.5E-3 num:2e+2"),
                arguments("0x1F 0o17 0b101 1_000_000 0x_ff", "num:0x1F num:0o17 num:0b101 num:1_000_000 num:0x_ff"),
                arguments("1..5", "num:1 op:.. num:5"),
                arguments("123abc", "num:123abc!"),
                arguments("1e", "num:1e!"),
                arguments("1ex", "num:1ex!"),
                arguments("0x", "num:0x!"),
                arguments("1__0", "num:1__0!"),
                arguments("a.b.c", "id:a dot:. id:b dot:. id:c"),
                arguments("t.*", "id:t dot:. op:*"),
                // operators and punctuation
                arguments("a<>b", "id:a op:<> id:b"),
                arguments("a>=b<=c!=d", "id:a op:>= id:b op:<= id:c op:!= id:d"),
                arguments("x::text", "id:x op::: id:text"),
                arguments("x := 1", "id:x op::= num:1"),
                arguments("f(a => 1)", "id:f left_paren:( id:a op:=> num:1 right_paren:)"),
                arguments("j->>'k'", "id:j op:->> str:'k'"),
                arguments("a=-1", "id:a op:= op:- num:1"),
                arguments("a?-b", "id:a op:?- id:b"),
                arguments("a@-b", "id:a op:@- id:b"),
                arguments("a*/*c*/b", "id:a op:* id:b"),
                arguments("a+--c\nb", "id:a op:+ id:b"),
                arguments("a[1]:b;", "id:a left_bracket:[ num:1 right_bracket:] colon:: id:b semicolon:;"),
                arguments("a \\ { }", "id:a other:\\ other:{ other:}"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("tokens")
    void lexesLikePostgres(String sql, String expected) {
        assertThat(lex(sql)).as(sql).isEqualTo(expected);
    }

    static Stream<Arguments> nonStandardStrings() {
        return Stream.of(
                arguments("'a\\'b' c", "str:'a\\'b' id:c"),
                arguments("'a\\\\' c", "str:'a\\\\' id:c"),
                arguments("N'x\\'y'", "str:N'x\\'y'"),
                arguments("B'1\\' c", "str:B'1\\' id:c"),
                arguments("'open\\'", "str:'open\\'!"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("nonStandardStrings")
    void backslashEscapesPlainStringsWhenStandardConformingStringsIsOff(String sql, String expected) {
        SqlLexer lexer = new SqlLexer(sql, 0, sql.length(), false);
        List<String> out = new ArrayList<>();
        while (lexer.next()) {
            out.add(abbreviation(lexer.kind()) + ":" + lexer.text() + (lexer.malformed() ? "!" : ""));
        }
        assertThat(String.join(" ", out)).as(sql).isEqualTo(expected);
    }

    @Test
    void decodesBackslashesInPlainStringsOnlyWhenStandardConformingStringsIsOff() {
        assertThat(TokenBuffer.tokenize("'a\\tb'", false).stringValue(0)).isEqualTo("a\tb");
        assertThat(TokenBuffer.tokenize("'a\\tb'", true).stringValue(0)).isEqualTo("a\\tb");
    }

    @Test
    void scansOnlyTheGivenRange() {
        SqlLexer lexer = new SqlLexer("xx SELECT 1 yy", 3, 11, true);
        assertThat(lexer.next()).isTrue();
        assertThat(lexer.kind()).isEqualTo(TokenKind.IDENTIFIER);
        assertThat(lexer.start()).isEqualTo(3);
        assertThat(lexer.end()).isEqualTo(9);
        assertThat(lexer.next()).isTrue();
        assertThat(lexer.text()).isEqualTo("1");
        assertThat(lexer.next()).isFalse();
        assertThat(lexer.kind()).isNull();
        assertThatThrownBy(() -> new SqlLexer("abc", 2, 1, true)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void tokenBufferHoldsTheSameTokensAsTheCursor() {
        String sql = "INSERT INTO \"T\" VALUES (E'a\\'b', $1, 'x'\n'y') -- done";
        TokenBuffer tokens = TokenBuffer.tokenize(sql);
        SqlLexer lexer = new SqlLexer(sql);
        int i = 0;
        while (lexer.next()) {
            assertThat(tokens.kind(i)).isEqualTo(lexer.kind());
            assertThat(tokens.start(i)).isEqualTo(lexer.start());
            assertThat(tokens.end(i)).isEqualTo(lexer.end());
            i++;
        }
        assertThat(tokens.size()).isEqualTo(i);
    }

    static Stream<Arguments> stringValues() {
        return Stream.of(
                arguments("'it''s'", "it's"),
                arguments("'a\\b'", "a\\b"),
                arguments("E'a\\nb\\tc\\\\d\\'e'", "a\nb\tc\\d'e"),
                arguments("E'\\x41\\101\\u00e9\\U0001F600\\q'", "AAé\uD83D\uDE00q"),
                arguments("'a'\n'b' -- c\n'c'", "abc"),
                arguments("$$x'y$$", "x'y"),
                arguments("$t$ $$ $t$", " $$ "),
                arguments("U&'d\\0061t\\+000061'", "data"),
                arguments("U&'d!0061t!!' UESCAPE '!'", "dat!"),
                arguments("N'nat'", "nat"),
                arguments("U&'\\zz'", null));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("stringValues")
    void decodesStringConstants(String sql, String expected) {
        TokenBuffer tokens = TokenBuffer.tokenize(sql);
        assertThat(tokens.size()).isEqualTo(1);
        assertThat(tokens.stringValue(0)).isEqualTo(expected);
    }

    static Stream<Arguments> identifiers() {
        return Stream.of(
                arguments("Metrics", "metrics"),
                arguments("\"Metrics\"", "Metrics"),
                arguments("\"a\"\"b\"", "a\"b"),
                arguments("ÄBC", "Äbc"),
                arguments("U&\"\\00C4\"", "Ä"),
                arguments("U&\"a\"\"\\0062\"", "a\"b"),
                arguments("'str'", null));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("identifiers")
    void normalisesIdentifiers(String sql, String expected) {
        assertThat(TokenBuffer.tokenize(sql).identifier(0)).isEqualTo(expected);
    }
}
