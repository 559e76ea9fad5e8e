package dev.tandem.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TablePatternTest {

    @ParameterizedTest(name = "{0} vs {1}.{2}: {3}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            public.metrics          | public  | metrics      | true
            public.metrics          | public  | metrics2     | false
            public.metrics          | other   | metrics      | false
            Public.Metrics          | public  | metrics      | true
            Public.Metrics          | Public  | Metrics      | false
            public.*                | public  | anything     | true
            public.*                | public  | ``           | true
            public.*                | private | anything     | false
            *.metrics               | sensors | metrics      | true
            *.metrics               | sensors | metrics_old  | false
            *.*                     | a       | b            | true
            public.metrics_*        | public  | metrics_2024 | true
            public.metrics_*        | public  | metrics      | false
            public.m?trics          | public  | metrics      | true
            public.m?trics          | public  | mtrics       | false
            "Sensors"."Readings"    | Sensors | Readings     | true
            "Sensors"."Readings"    | sensors | readings     | false
            "Sensors".readings      | Sensors | readings     | true
            public."My.Table"       | public  | My.Table     | true
            public."My.Table"       | public  | My           | false
            public."a*b"            | public  | a*b          | true
            public."a*b"            | public  | axxb         | false
            public."Raw"_*          | public  | Raw_2024     | true
            public."Raw"_*          | public  | raw_2024     | false
            public."say ""hi""\"     | public  | say "hi"     | true
            public.$x               | public  | $x           | true
            public.metrics          | public  | metrics.x    | false
            public.a                | public  | Ä            | false
            public.ä                | public  | ä            | true
            """)
    void matches(String pattern, String schema, String table, boolean expected) {
        assertThat(TablePattern.parse(pattern).matches(schema, table)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            metrics              | is not a schema.table pattern (e.g. public.metrics, public.*, *.metrics)
            db.public.metrics    | is not a schema.table pattern (e.g. public.metrics, public.*, *.metrics)
            public.              | has an empty name; expected schema.table (e.g. public.metrics)
            .metrics             | has an empty name; expected schema.table (e.g. public.metrics)
            public."metrics      | has an unterminated double quote
            public.my-table      | has '-' outside double quotes; quote such names (e.g. public."my-table")
            public.my table      | has ' ' outside double quotes; quote such names (e.g. public."my-table")
            """)
    void refuses(String pattern, String message) {
        assertThatThrownBy(() -> TablePattern.parse(pattern)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void excludeWinsOverIncludeAndNoIncludeMeansHypertables() {
        TableFilter explicit = new TableFilter(List.of(TablePattern.parse("public.*")),
                List.of(TablePattern.parse("public.audit_*")));
        TableFilter hypertables = new TableFilter(List.of(), List.of(TablePattern.parse("*.scratch")));

        assertThat(explicit.mirrors("public", "metrics", false)).isTrue();
        assertThat(explicit.mirrors("public", "audit_log", true)).isFalse();
        assertThat(explicit.mirrors("other", "metrics", true)).isFalse();
        assertThat(explicit.includesHypertables()).isFalse();
        assertThat(hypertables.includesHypertables()).isTrue();
        assertThat(hypertables.mirrors("public", "metrics", true)).isTrue();
        assertThat(hypertables.mirrors("public", "devices", false)).isFalse();
        assertThat(hypertables.mirrors("public", "scratch", true)).isFalse();
    }

    @Test
    void keepsItsTextForMessagesAndEquality() {
        assertThat(TablePattern.parse(" public.* ")).hasToString("public.*").isEqualTo(TablePattern.parse("public.*"));
    }

    @Test
    void aPatternWithoutWildcardsNamesOneTable() {
        TablePattern plain = TablePattern.parse("Public.Metrics");
        assertThat(plain.literalSchema()).isEqualTo("public");
        assertThat(plain.literalTable()).isEqualTo("metrics");
        TablePattern quoted = TablePattern.parse("\"My\"\"Schema\".\"Odd*Name\"");
        assertThat(quoted.literalSchema()).isEqualTo("My\"Schema");
        assertThat(quoted.literalTable()).isEqualTo("Odd*Name");
        assertThat(quoted.matches("My\"Schema", "Odd*Name")).isTrue();
        for (String wildcard : List.of("public.*", "*.metrics", "public.m?trics")) {
            assertThat(TablePattern.parse(wildcard).literalTable()).as(wildcard).isNull();
            assertThat(TablePattern.parse(wildcard).literalSchema()).as(wildcard).isNull();
        }
    }
}
