package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random statements from a small grammar of templates, spelled with random whitespace, comments (holding keywords,
 * quotes and semicolons), letter case and empty statements, must classify exactly as their template says. Run with
 * {@code -Dsql.seed=N} to replay a failure; the seed is in every failure message.
 */
class ClassifierPropertyTest {

    private static final int CASES = 4000;

    /** Tables as tokens, and their normalised form in the expected description. */
    private static final String[][][] TABLES = {
        {{"metrics"}, {"metrics"}},
        {{"METRICS"}, {"metrics"}},
        {{"\"Metrics\""}, {"Metrics"}},
        {{"public", ".", "metrics"}, {"public.metrics"}},
        {{"\"My Schema\"", ".", "\"T x\""}, {"My Schema.T x"}},
        {{"U&\"d\\0061ta\""}, {"data"}},
        {{"pgbench_history"}, {"pgbench_history"}},
    };

    /**
     * Template tokens, separated by spaces ({@code ~} is a space inside a token, {T} a random table), and the
     * expected description ({T} the table's normalised name).
     */
    private static final String[][] TEMPLATES = {
        {"INSERT INTO {T} VALUES ( $1 , $2 )", "INSERT table={T}"},
        {"INSERT INTO {T} ( a , B ) VALUES ( 1 , 'x;y' )", "INSERT table={T} cols=a,b"},
        {"INSERT INTO {T} VALUES ( $1 ) ON CONFLICT ( id ) DO UPDATE SET v = EXCLUDED . v", "INSERT table={T} conflict=update"},
        {"INSERT INTO {T} SELECT * FROM u WHERE x = 'INSERT'", "INSERT table={T} select"},
        {"INSERT INTO {T} VALUES ( now ( ) , random ( ) ) ON CONFLICT DO NOTHING RETURNING id",
            "INSERT table={T} conflict=nothing returning nondet=now,random"},
        {"INSERT INTO {T} VALUES ( E'it\\'s' , 'a''b' , CURRENT_TIMESTAMP )", "INSERT table={T} nondet=current_timestamp"},
        {"WITH x AS ( DELETE FROM u RETURNING * ) INSERT INTO {T} SELECT * FROM x", "INSERT table={T} select with dmlWith=u"},
        {"WITH x AS ( SELECT 1 ) INSERT INTO {T} ( v ) SELECT * FROM x", "INSERT table={T} cols=v select with"},
        {"UPDATE {T} SET v = v + 1 WHERE id = $1", "UPDATE table={T}"},
        {"DELETE FROM {T} WHERE t < now ( )", "DELETE table={T}"},
        {"TRUNCATE {T} , other", "TRUNCATE table={T},other"},
        {"COPY {T} ( t , v ) FROM STDIN WITH ( FORMAT binary )", "COPY_FROM_STDIN table={T} cols=t,v format=BINARY"},
        {"COPY {T} FROM STDIN CSV HEADER", "COPY_FROM_STDIN table={T} format=CSV"},
        {"COPY ( SELECT 1 ) TO STDOUT", "COPY_OTHER format=TEXT"},
        {"COPY {T} TO '/tmp/FROM~STDIN' CSV", "COPY_OTHER table={T} format=CSV"},
        {"COPY {T} FROM '/tmp/m.csv' CSV", "COPY_FROM_SERVER table={T} format=CSV"},
        {"COPY {T} ( a , b ) FROM PROGRAM 'echo~5' WITH ( FORMAT csv )", "COPY_FROM_SERVER table={T} cols=a,b format=CSV"},
        {"SELECT abalance FROM pgbench_accounts WHERE aid = $1", "SELECT"},
        {"SELECT 'INSERT~INTO~x' , $$DELETE~FROM~y$$ , \"UPDATE\"", "SELECT"},
        {"BEGIN", "TRANSACTION BEGIN"},
        {"COMMIT AND CHAIN", "TRANSACTION COMMIT_AND_CHAIN"},
        {"ROLLBACK TO SAVEPOINT Sp", "TRANSACTION ROLLBACK_TO_SAVEPOINT name=sp"},
        {"SAVEPOINT \"Sp\"", "TRANSACTION SAVEPOINT name=Sp"},
        {"SET LOCAL search_path TO app , \"Other\"", "SET name=search_path path=app,Other local"},
        {"PREPARE p AS INSERT INTO {T} VALUES ( $1 )", "PREPARE name=p inner=(INSERT table={T})"},
        {"EXPLAIN ANALYZE DELETE FROM {T}", "OTHER explainWrite inner=(DELETE table={T})"},
        {"CREATE TABLE {T} AS SELECT 1", "DDL table={T} create"},
        {"SELECT * INTO {T} FROM u", "DDL table={T} create"},
        {"MERGE INTO {T} USING s ON true WHEN MATCHED THEN DELETE", "MERGE table={T}"},
        {"CREATE FUNCTION f ( ) RETURNS int LANGUAGE sql BEGIN ATOMIC INSERT INTO x VALUES ( 1 ) ; SELECT 1 ; END", "DDL"},
        {"DO $$BEGIN~DELETE~FROM~t;~END$$", "OTHER"},
        {"CALL p ( 1 )", "CALL"},
    };

    /** Separators between tokens: whitespace, or comments that hide keywords, quotes and semicolons. */
    private static final String[] SEPARATORS = {
        " ", "  ", "\n", "\t", " \r\n ", " /* c */ ", " /* DELETE FROM t; /* nested ' \" $$ */ ; */ ",
        " -- INSERT INTO x; 'q\n", "\n-- ; UPDATE t\n", "\f",
    };

    @Test
    void decoratedStatementsKeepTheirClassification() {
        long seed = Long.getLong("sql.seed", System.nanoTime());
        Random random = new Random(seed);
        for (int n = 0; n < CASES; n++) {
            int count = 1 + random.nextInt(3);
            StringBuilder sql = new StringBuilder(separator(random));
            List<String> expected = new ArrayList<>();
            for (int s = 0; s < count; s++) {
                String[] template = TEMPLATES[random.nextInt(TEMPLATES.length)];
                String[][] table = TABLES[random.nextInt(TABLES.length)];
                expected.add(template[1].replace("{T}", table[1][0]));
                for (String token : template[0].split(" ")) {
                    if (token.equals("{T}")) {
                        for (String part : table[0]) {
                            sql.append(changeCase(part, random)).append(separator(random));
                        }
                    } else {
                        sql.append(changeCase(token.replace('~', ' '), random)).append(separator(random));
                    }
                }
                if (s < count - 1 || random.nextBoolean()) {
                    sql.append(';').append(separator(random));
                }
                while (random.nextInt(4) == 0) {
                    sql.append(';').append(separator(random));
                }
            }
            String text = sql.toString();
            List<ClassifiedStatement> result = StatementClassifier.classify(text);
            assertThat(Describe.withoutCopyOptions(result))
                    .as("seed %d (replay with -Dsql.seed=%d), case %d: %s", seed, seed, n, text)
                    .isEqualTo(String.join(" ; ", expected));
        }
    }

    /** Characters that start or end every lexical construct, so random strings hit every edge. */
    private static final String SOUP = "'\"$;()-/*\\eEuU&xXbBnN01_ a\n.:=,[]";
    private static final String[] WORDS = {"INSERT", "INTO", "WITH", "AS", "COPY", "FROM", "STDIN", "BEGIN", "CREATE",
        "FUNCTION", "END", "CASE", "UESCAPE", "EXPLAIN", "ANALYZE", "PREPARE", "SET", "search_path", "TO", "ON",
        "CONFLICT", "RETURNING", "SELECT", "TRUNCATE", "ONLY", "$1", "$$", "$a$", "/*", "*/", "--", "E'", "U&\""};

    @Test
    void neverThrowsAndKeepsSpansInsideTheInput() {
        long seed = Long.getLong("sql.seed", System.nanoTime());
        Random random = new Random(seed);
        for (int n = 0; n < CASES; n++) {
            StringBuilder b = new StringBuilder();
            int length = random.nextInt(40);
            for (int i = 0; i < length; i++) {
                if (random.nextInt(3) == 0) {
                    b.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                } else {
                    b.append(SOUP.charAt(random.nextInt(SOUP.length())));
                }
            }
            String sql = b.toString();
            List<ClassifiedStatement> result;
            try {
                result = StatementClassifier.classify(sql);
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + " (replay with -Dsql.seed=" + seed + "), case " + n + ": "
                        + sql, e);
            }
            int previousEnd = 0;
            for (ClassifiedStatement s : result) {
                assertThat(s.start()).as("seed %d, case %d: %s", seed, n, sql).isBetween(previousEnd, s.end());
                assertThat(s.end()).as("seed %d, case %d: %s", seed, n, sql).isLessThanOrEqualTo(sql.length());
                previousEnd = s.end();
            }
        }
    }

    private static String separator(Random random) {
        return SEPARATORS[random.nextInt(SEPARATORS.length)];
    }

    /** Plain words fold the same whatever their case; quoted and special tokens are left alone. */
    private static String changeCase(String token, Random random) {
        if (!token.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return token;
        }
        return switch (random.nextInt(3)) {
            case 0 -> token.toLowerCase(Locale.ROOT);
            case 1 -> token.toUpperCase(Locale.ROOT);
            default -> {
                StringBuilder b = new StringBuilder(token.length());
                for (char c : token.toCharArray()) {
                    b.append(random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
                }
                yield b.toString();
            }
        };
    }
}
