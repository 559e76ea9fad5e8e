package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatementClassifierTest {

    static Stream<Arguments> statements() {
        return Stream.of(
                // INSERT: targets and names
                arguments("INSERT INTO \"My Schema\".\"T\" (a,b) VALUES (1, 2)", "INSERT table=My Schema.T cols=a,b"),
                arguments("insert into public.metrics values ($1,$2)", "INSERT table=public.metrics"),
                arguments("INSERT INTO Metrics VALUES (1)", "INSERT table=metrics"),
                arguments("INSERT INTO \"Metrics\" VALUES (1)", "INSERT table=Metrics"),
                arguments("INSERT INTO mydb.public.metrics VALUES (1)", "INSERT table=public.metrics"),
                arguments("INSERT INTO \"a\"\"b\" VALUES (1)", "INSERT table=a\"b"),
                arguments("INSERT INTO U&\"d\\0061t\\+000061\" VALUES (1)", "INSERT table=data"),
                arguments("INSERT INTO U&\"d!0061t!+000061\" UESCAPE '!' VALUES (1)", "INSERT table=data"),
                arguments("INSERT INTO ÄÖ VALUES (1)", "INSERT table=ÄÖ"),
                arguments("INSERT INTO t AS x (A, \"B\", c.d, e[1]) VALUES (1,2,3,4)", "INSERT table=t cols=a,B,c,e"),
                arguments("INSERT INTO t (a) OVERRIDING SYSTEM VALUE VALUES (1)", "INSERT table=t cols=a"),
                // the server numbers the identity columns, whatever the row says
                arguments("INSERT INTO t (id, a) OVERRIDING USER VALUE VALUES (1, 2)",
                        "INSERT table=t cols=id,a nondet=overriding user value"),
                arguments("  INSERT\n\tINTO\n t\n VALUES\n (1)  ", "INSERT table=t"),
                arguments("/* DELETE */ INSERT INTO t VALUES (1)", "INSERT table=t"),
                arguments("-- UPDATE x\nINSERT INTO t VALUES ('DELETE FROM t')", "INSERT table=t"),
                arguments("/* nested /* DROP TABLE x; */ still comment; */ INSERT INTO t VALUES (1)", "INSERT table=t"),
                // INSERT: sources and clauses
                arguments("INSERT INTO t SELECT * FROM u", "INSERT table=t select"),
                arguments("INSERT INTO t (a) SELECT a FROM u", "INSERT table=t cols=a select"),
                arguments("INSERT INTO t (SELECT * FROM u)", "INSERT table=t select"),
                arguments("INSERT INTO t TABLE u", "INSERT table=t select"),
                arguments("INSERT INTO t WITH x AS (VALUES (1)) TABLE x", "INSERT table=t select"),
                arguments("INSERT INTO t VALUES ((SELECT max(a) FROM u))", "INSERT table=t select"),
                arguments("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "INSERT table=t conflict=nothing"),
                arguments("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = excluded.b", "INSERT table=t conflict=update"),
                arguments("INSERT INTO t VALUES (1) ON CONFLICT (a) WHERE a > 0 DO UPDATE SET b = 1 WHERE t.b <> 1",
                        "INSERT table=t conflict=update"),
                arguments("INSERT INTO t VALUES ('do update') ON CONFLICT DO NOTHING", "INSERT table=t conflict=nothing"),
                arguments("INSERT INTO t (\"do\") VALUES (1) ON CONFLICT (\"do\") DO NOTHING",
                        "INSERT table=t cols=do conflict=nothing"),
                arguments("INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING", "INSERT table=t conflict=nothing"),
                arguments("INSERT INTO t SELECT * FROM a JOIN b ON conflict = 1", "INSERT table=t select"),
                // a SELECT that makes its rows from the statement's own values reads nothing on the target
                arguments("INSERT INTO t SELECT * FROM unnest($1::timestamptz[], $2::float8[])", "INSERT table=t"),
                arguments("INSERT INTO t (ts, v) SELECT * FROM unnest($1, $2) AS u(a, b)", "INSERT table=t cols=ts,v"),
                arguments("INSERT INTO t SELECT a, b FROM unnest($1) WITH ORDINALITY AS u(a, b) ON CONFLICT DO NOTHING",
                        "INSERT table=t conflict=nothing"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) u ON CONFLICT (a) DO UPDATE SET b = excluded.b",
                        "INSERT table=t conflict=update"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) RETURNING a", "INSERT table=t returning"),
                arguments("INSERT INTO t SELECT * FROM ROWS FROM (unnest($1), unnest($2)) r", "INSERT table=t"),
                arguments("INSERT INTO t SELECT * FROM pg_catalog.UNNEST($1), unnest($2) AS \"x\"", "INSERT table=t"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) CROSS JOIN unnest($2)", "INSERT table=t"),
                arguments("INSERT INTO t SELECT * FROM jsonb_populate_recordset(NULL::t, $1)", "INSERT table=t"),
                arguments("INSERT INTO t SELECT * FROM (VALUES (1), (2)) v(a) WHERE a > 1 ORDER BY a LIMIT 1",
                        "INSERT table=t"),
                arguments("INSERT INTO t SELECT $1, $2", "INSERT table=t"),
                // Django 5.2's bulk_create, SQLAlchemy 2's insertmanyvalues with a sentinel
                arguments("INSERT INTO \"app_reading\" (\"ts\", \"v\") SELECT * FROM UNNEST(($1)::timestamp with time"
                        + " zone[], ($2)::double precision[])", "INSERT table=app_reading cols=ts,v"),
                arguments("INSERT INTO t (a, b) SELECT p0::INTEGER, p1::VARCHAR FROM (VALUES ($1, $2, 0), ($3, $4, 1))"
                        + " AS imp_sen(p0, p1, sen_counter) ORDER BY sen_counter RETURNING t.id, t.id AS id__1",
                        "INSERT table=t cols=a,b returning"),
                arguments("INSERT INTO t SELECT extract(epoch FROM $1::timestamptz), left($2, 3), ($3::int[])[1]",
                        "INSERT table=t"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) u JOIN x ON true", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) u LEFT JOIN x USING (a)", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) u, x", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest($1), LATERAL unnest(x.a)", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) WHERE NOT EXISTS (SELECT 1 FROM t)",
                        "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) UNION SELECT 1", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest($1) EXCEPT TABLE u", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM my_rows($1)", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM app.unnest($1)", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest((SELECT array_agg(a) FROM u))", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM unnest(ARRAY(TABLE u))", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT * FROM (TABLE u) x", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT a FROM u", "INSERT table=t select"),
                arguments("INSERT INTO t SELECT a", "INSERT table=t"),
                arguments("INSERT INTO t VALUES (1) RETURNING id", "INSERT table=t returning"),
                arguments("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING RETURNING *", "INSERT table=t conflict=nothing returning"),
                arguments("INSERT INTO t VALUES ('ON CONFLICT', 'RETURNING', 'SELECT')", "INSERT table=t"),
                arguments("INSERT INTO t VALUES (1) RETURNING now(), (SELECT 1)", "INSERT table=t returning"),
                // WITH
                arguments("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT table=t select with"),
                arguments("WITH x AS (DELETE FROM u RETURNING *) INSERT INTO t SELECT * FROM x",
                        "INSERT table=t select with dmlWith=u"),
                arguments("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) INSERT INTO t SELECT n FROM r",
                        "INSERT table=t select with"),
                arguments("WITH a AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (UPDATE u SET x = 1 RETURNING x) "
                        + "INSERT INTO t VALUES (1)", "INSERT table=t with dmlWith=u"),
                arguments("WITH a AS (WITH b AS (INSERT INTO u VALUES (1) RETURNING *) SELECT * FROM b) SELECT * FROM a",
                        "SELECT with dmlWith=u"),
                arguments("WITH a AS (SELECT * FROM u FOR UPDATE) INSERT INTO t SELECT * FROM a", "INSERT table=t select with"),
                arguments("WITH RECURSIVE s(id) AS (SELECT 1) SEARCH DEPTH FIRST BY id, id SET ord, "
                        + "c AS (SELECT 2) CYCLE id, id SET cyc TO true DEFAULT false USING pth DELETE FROM t",
                        "DELETE table=t with"),
                arguments("WITH x AS (SELECT 1) UPDATE t SET a = 1", "UPDATE table=t with"),
                arguments("WITH a AS (INSERT INTO s.\"T\" VALUES (1) RETURNING 1), b AS (DELETE FROM ONLY d RETURNING 1),"
                        + " c AS (UPDATE ONLY u SET x = 1 RETURNING 1), m AS (MERGE INTO g USING a ON true WHEN MATCHED"
                        + " THEN DO NOTHING RETURNING 1) SELECT 1", "SELECT with dmlWith=s.T,d,u,g"),
                arguments("WITH x AS (SELECT 1) SELECT * FROM x", "SELECT with"),
                arguments("WITH x AS (SELECT 1) (SELECT * FROM x)", "SELECT with"),
                arguments("WITH x AS (SELECT 1) SELECT * INTO t2 FROM x", "DDL table=t2 with create"),
                arguments("WITH x AS (SELECT 1)", "OTHER with malformed"),
                arguments("WITH x (SELECT 1) SELECT 1", "OTHER with malformed"),
                // non-deterministic INSERTs
                arguments("INSERT INTO t VALUES (now(), 1)", "INSERT table=t nondet=now"),
                arguments("INSERT INTO t DEFAULT VALUES", "INSERT table=t defaults=[-1]"),
                arguments("INSERT INTO t (a, b, c) VALUES (1, DEFAULT, 2), (DEFAULT, 3, f(DEFAULT)) ON CONFLICT DO NOTHING",
                        "INSERT table=t cols=a,b,c conflict=nothing defaults=[0,1]"),
                arguments("INSERT INTO t VALUES (ARRAY[1, 2], default) RETURNING default_x",
                        "INSERT table=t returning defaults=[1]"),
                arguments("INSERT INTO t VALUES ('DEFAULT', \"default\", default_value)", "INSERT table=t"),
                arguments("INSERT INTO t VALUES (NOW(), CURRENT_TIMESTAMP, current_date, current_time, localtime, "
                        + "LocalTimestamp)", "INSERT table=t nondet=current_date,current_time,current_timestamp,"
                        + "localtime,localtimestamp,now"),
                arguments("INSERT INTO t VALUES (transaction_timestamp(), statement_timestamp(), clock_timestamp(), "
                        + "timeofday())", "INSERT table=t nondet=clock_timestamp,statement_timestamp,timeofday,"
                        + "transaction_timestamp"),
                arguments("INSERT INTO t VALUES (random(), gen_random_uuid(), uuid_generate_v4(), "
                        + "nextval('s'), txid_current())",
                        "INSERT table=t nondet=gen_random_uuid,nextval,random,txid_current,uuid_generate_v4"),
                arguments("INSERT INTO t VALUES (pg_catalog.now())", "INSERT table=t nondet=now"),
                arguments("INSERT INTO t VALUES (current_user, USER, session_user, current_schema(), current_catalog, "
                        + "pg_backend_pid(), inet_client_addr())", "INSERT table=t nondet=current_catalog,"
                        + "current_schema,current_user,inet_client_addr,pg_backend_pid,session_user,user"),
                arguments("INSERT INTO t VALUES (x.user, \"user\", user_id, now)", "INSERT table=t"),
                arguments("INSERT INTO t VALUES (\"now\"())", "INSERT table=t nondet=now"),
                arguments("INSERT INTO t VALUES (\"NOW\"(), \"current_timestamp\")", "INSERT table=t"),
                arguments("INSERT INTO t (now, random) VALUES (1, 2)", "INSERT table=t cols=now,random"),
                arguments("INSERT INTO t VALUES (x.current_date)", "INSERT table=t"),
                arguments("INSERT INTO t VALUES ('now()', 'random()') -- now()\n", "INSERT table=t"),
                arguments("INSERT INTO t VALUES (/* now() */ 1, $$nextval('s')$$)", "INSERT table=t"),
                arguments("INSERT INTO t VALUES (nowhere(), renow(), now_x())", "INSERT table=t"),
                arguments("INSERT INTO t VALUES ('now'::timestamptz, ' Today ')", "INSERT table=t nondet='now','today'"),
                arguments("INSERT INTO t VALUES ('\tnow', E'\\n today', '\r\nyesterday')",
                        "INSERT table=t nondet='now','today','yesterday'"),
                arguments("INSERT INTO t VALUES ($$yesterday$$, E'tomorrow', 'nowhere', 'tonight')",
                        "INSERT table=t nondet='tomorrow','yesterday'"),
                arguments("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET ts = now()", "INSERT table=t conflict=update nondet=now"),
                arguments("INSERT INTO t SELECT random() FROM generate_series(1, 3)", "INSERT table=t nondet=random"),
                arguments("UPDATE t SET ts = now()", "UPDATE table=t"),
                // set_config: a setting changed without a SET, found once per statement text
                arguments("SELECT set_config('search_path', 'a', false)", "SELECT setConfig"),
                arguments("SELECT x FROM t WHERE pg_catalog.\"set_config\"('x', 'y', true) IS NOT NULL",
                        "SELECT setConfig"),
                arguments("SELECT 'set_config(1)', set_config_x(1), set_config FROM \"SET_CONFIG\"(2)", "SELECT"),
                arguments("DO $$ BEGIN PERFORM set_config('a', 'b', false); END $$", "OTHER"),
                // in an INSERT it would change the mirror's own session on the target when replayed
                arguments("INSERT INTO t VALUES (set_config('a', 'b', false))", "INSERT table=t setConfig"),
                arguments("INSERT INTO t VALUES (now(), pg_catalog.\"set_config\"('role', 'r', false))",
                        "INSERT table=t setConfig nondet=now"),
                arguments("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = SET_CONFIG('a', 'b', false)",
                        "INSERT table=t conflict=update setConfig"),
                arguments("INSERT INTO t VALUES ('set_config(1)', set_config_x(1)) -- set_config('a', 'b', false)",
                        "INSERT table=t"),
                // UPDATE / DELETE / MERGE / TRUNCATE
                arguments("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2", "UPDATE table=pgbench_accounts"),
                arguments("UPDATE ONLY s.t * SET a = 1", "UPDATE table=s.t"),
                arguments("update t as x set a = 1 returning *", "UPDATE table=t returning"),
                arguments("UPDATE", "UPDATE malformed"),
                arguments("DELETE FROM t WHERE a = 'x;y'", "DELETE table=t"),
                arguments("DELETE FROM ONLY (s.\"T\") RETURNING a", "DELETE table=s.T returning"),
                arguments("DELETE t", "DELETE malformed"),
                arguments("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v "
                        + "WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)", "MERGE table=t"),
                arguments("MERGE INTO ONLY public.t AS x USING s ON true WHEN MATCHED THEN DELETE RETURNING *",
                        "MERGE table=public.t returning"),
                arguments("TRUNCATE a", "TRUNCATE table=a"),
                arguments("TRUNCATE TABLE ONLY a, s.\"B\" *, c RESTART IDENTITY CASCADE", "TRUNCATE table=a,s.B,c"),
                // COPY
                arguments("COPY metrics (t, v) FROM STDIN WITH (FORMAT binary)", "COPY_FROM_STDIN table=metrics cols=t,v "
                        + "format=BINARY opts=WITH (FORMAT binary)"),
                arguments("copy metrics from stdin", "COPY_FROM_STDIN table=metrics format=TEXT"),
                arguments("COPY s.m FROM STDIN (FORMAT 'csv', HEADER true, DELIMITER ',')",
                        "COPY_FROM_STDIN table=s.m format=CSV opts=(FORMAT 'csv', HEADER true, DELIMITER ',')"),
                arguments("COPY m FROM STDIN (DELIMITER ',', FORMAT \"text\")",
                        "COPY_FROM_STDIN table=m format=TEXT opts=(DELIMITER ',', FORMAT \"text\")"),
                arguments("COPY m FROM STDIN WITH CSV HEADER", "COPY_FROM_STDIN table=m format=CSV opts=WITH CSV HEADER"),
                arguments("COPY m FROM STDIN CSV QUOTE AS '\"'", "COPY_FROM_STDIN table=m format=CSV opts=CSV QUOTE AS '\"'"),
                arguments("COPY m FROM STDIN BINARY", "COPY_FROM_STDIN table=m format=BINARY opts=BINARY"),
                arguments("COPY BINARY m FROM STDIN", "COPY_FROM_STDIN table=m format=BINARY"),
                arguments("COPY m FROM STDIN DELIMITER AS ',' NULL AS 'csv'",
                        "COPY_FROM_STDIN table=m format=TEXT opts=DELIMITER AS ',' NULL AS 'csv'"),
                arguments("COPY m FROM STDIN (FORMAT 'CSV')", "COPY_FROM_STDIN table=m format=TEXT opts=(FORMAT 'CSV') malformed"),
                arguments("COPY m FROM STDIN WHERE v > 0", "COPY_FROM_STDIN table=m format=TEXT"),
                arguments("COPY m (a) FROM STDIN (FORMAT csv) WHERE a > 0",
                        "COPY_FROM_STDIN table=m cols=a format=CSV opts=(FORMAT csv)"),
                arguments("COPY (SELECT * FROM m) TO STDOUT", "COPY_OTHER format=TEXT"),
                arguments("COPY m TO STDOUT (FORMAT binary)", "COPY_OTHER table=m format=BINARY opts=(FORMAT binary)"),
                arguments("COPY m TO '/tmp/m.csv'", "COPY_OTHER table=m format=TEXT"),
                arguments("COPY m (a, b) TO PROGRAM 'gzip > m.gz' CSV", "COPY_OTHER table=m cols=a,b format=CSV opts=CSV"),
                arguments("COPY (SELECT * FROM m WHERE a = 'FROM STDIN') TO STDOUT", "COPY_OTHER format=TEXT"),
                arguments("COPY m TO STDIN", "COPY_OTHER table=m format=TEXT"),
                // COPY FROM STDOUT is COPY FROM STDIN in PostgreSQL's grammar; psql's \copy sends FROM STDIN
                arguments("COPY m FROM STDOUT", "COPY_FROM_STDIN table=m format=TEXT"),
                arguments("COPY  m ( a, b ) FROM STDIN CSV", "COPY_FROM_STDIN table=m cols=a,b format=CSV opts=CSV"),
                // server-side COPY FROM: the server reads a file or a program's output, no data crosses the wire
                arguments("COPY t FROM 'f'", "COPY_FROM_SERVER table=t format=TEXT"),
                arguments("COPY m FROM '/tmp/m.csv' CSV", "COPY_FROM_SERVER table=m format=CSV opts=CSV"),
                arguments("COPY m FROM PROGRAM 'gunzip -c m.gz'", "COPY_FROM_SERVER table=m format=TEXT"),
                arguments("COPY t (a,b) FROM PROGRAM 'cmd' WITH (FORMAT csv)",
                        "COPY_FROM_SERVER table=t cols=a,b format=CSV opts=WITH (FORMAT csv)"),
                arguments("COPY s.\"T\" FROM '/x'", "COPY_FROM_SERVER table=s.T format=TEXT"),
                arguments("copy \"My Schema\".\"m\"\"x\" from E'/tmp/it\\'s' (format binary)",
                        "COPY_FROM_SERVER table=My Schema.m\"x format=BINARY opts=(format binary)"),
                arguments("COPY m FROM $$/tmp/STDIN$$ WHERE a > 0", "COPY_FROM_SERVER table=m format=TEXT"),
                arguments("COPY BINARY m FROM '/tmp/m.bin'", "COPY_FROM_SERVER table=m format=BINARY"),
                arguments("/* COPY m FROM STDIN */ COPY -- FROM STDIN\n m FROM /* STDIN */ 'stdin'",
                        "COPY_FROM_SERVER table=m format=TEXT"),
                arguments("COPY m FROM \"stdin\"", "COPY_FROM_SERVER table=m format=TEXT malformed"),
                arguments("COPY m FROM PROGRAM STDIN", "COPY_FROM_SERVER table=m format=TEXT malformed"),
                arguments("COPY m TO $1", "COPY_OTHER table=m format=TEXT malformed"),
                arguments("COPY m", "COPY_OTHER table=m format=TEXT malformed"),
                arguments("COPY m FROM", "COPY_FROM_SERVER table=m format=TEXT malformed"),
                arguments("COPY m FROM PROGRAM", "COPY_FROM_SERVER table=m format=TEXT malformed"),
                // SELECT / SELECT INTO / CREATE TABLE AS
                arguments("SELECT abalance FROM pgbench_accounts WHERE aid = $1", "SELECT"),
                arguments("SELECT 'INSERT INTO x'", "SELECT"),
                arguments("SELECT f()", "SELECT"),
                arguments("select * from t for update", "SELECT"),
                arguments("VALUES (1), (2)", "SELECT"),
                arguments("TABLE t", "SELECT"),
                arguments("(SELECT 1) UNION (SELECT 2)", "SELECT"),
                arguments("SELECT a, b INTO newtable FROM t", "DDL table=newtable create"),
                arguments("SELECT * INTO TEMP TABLE s.nt FROM t", "DDL table=s.nt create=SESSION"),
                arguments("SELECT * INTO UNLOGGED nt FROM t", "DDL table=nt create"),
                arguments("SELECT (SELECT 1 INTO x) FROM t", "SELECT"),
                arguments("CREATE TABLE s.t AS SELECT * FROM u", "DDL table=s.t create"),
                arguments("CREATE TABLE IF NOT EXISTS ev_2026 PARTITION OF s.ev FOR VALUES FROM ('2026-01-01') TO (MAXVALUE)",
                        "DDL table=ev_2026,s.ev create ifNotExists"),
                arguments("CREATE TABLE ev_x (LIKE ev) PARTITION BY RANGE (t)", "DDL table=ev_x create"),
                arguments("CREATE TEMP TABLE IF NOT EXISTS \"T\" (a int)", "DDL table=T create=SESSION ifNotExists"),
                arguments("CREATE GLOBAL TEMPORARY TABLE t (a int) ON COMMIT PRESERVE ROWS", "DDL table=t create=SESSION"),
                arguments("create local temp table t (a int, b int references u on delete cascade) on commit drop",
                        "DDL table=t create=TRANSACTION"),
                arguments("CREATE TEMP TABLE t ON COMMIT DROP AS SELECT * FROM u", "DDL table=t create=TRANSACTION"),
                arguments("CREATE TEMP TABLE t AS SELECT * FROM u JOIN v ON commit = drop", "DDL table=t create=SESSION"),
                arguments("CREATE TEMP TABLE ev (LIKE ev INCLUDING ALL) ON COMMIT DELETE ROWS", "DDL table=ev create=SESSION"),
                arguments("create unlogged table t (a int)", "DDL table=t create"),
                arguments("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t (a)", "DDL table=s.t"),
                arguments("CREATE INDEX ON t (a)", "DDL table=t"),
                arguments("ALTER TABLE IF EXISTS ONLY t ADD COLUMN c int", "DDL table=t"),
                arguments("ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b", "DDL"),
                arguments("ALTER TABLE IF EXISTS ONLY s.t RENAME TO \"New\"", "DDL table=s.t renamedTo=New"),
                arguments("ALTER TABLE t RENAME COLUMN a TO b", "DDL table=t"),
                arguments("ALTER TABLE t RENAME a TO b", "DDL table=t"),
                arguments("DROP TABLE IF EXISTS a, s.b CASCADE", "DDL table=a,s.b drop"),
                arguments("CREATE TABLE pg_temp.t (a int)", "DDL table=pg_temp.t create"),
                arguments("DROP VIEW v", "DDL"),
                arguments("CREATE VIEW v AS SELECT 1", "DDL"),
                arguments("COMMENT ON TABLE t IS 'x'", "DDL"),
                arguments("GRANT SELECT ON t TO u", "DDL"),
                arguments("REVOKE ALL ON t FROM u", "DDL"),
                arguments("SECURITY LABEL ON TABLE t IS 'x'", "DDL"),
                arguments("IMPORT FOREIGN SCHEMA s FROM SERVER f INTO l", "DDL unknown"),
                arguments("ALTER TABLE s.t SET SCHEMA \"Archive\"", "DDL table=s.t movedTo=Archive"),
                arguments("ALTER TABLE IF EXISTS t SET SCHEMA a", "DDL table=t movedTo=a"),
                arguments("ALTER TABLE t SET TABLESPACE a", "DDL table=t"),
                arguments("CREATE SCHEMA tenant_42", "DDL createSchema=tenant_42"),
                arguments("CREATE SCHEMA IF NOT EXISTS \"T\" AUTHORIZATION app", "DDL createSchema=T"),
                arguments("create schema authorization app", "DDL createSchema=app"),
                arguments("CREATE SCHEMA AUTHORIZATION CURRENT_USER", "DDL unknown"),
                arguments("CREATE SCHEMA s CREATE TABLE t (a int)", "DDL unknown"),
                arguments("DROP SCHEMA IF EXISTS a, \"B\" CASCADE", "DDL dropSchema=a,B"),
                arguments("ALTER SCHEMA a RENAME TO b", "DDL unknown"),
                arguments("ALTER SCHEMA a OWNER TO u", "DDL"),
                arguments("DROP OWNED BY u", "DDL unknown"),
                arguments("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
                        "DDL"),
                // transactions
                arguments("BEGIN", "TRANSACTION BEGIN"),
                arguments("begin isolation level serializable", "TRANSACTION BEGIN"),
                arguments("START TRANSACTION READ ONLY", "TRANSACTION BEGIN"),
                arguments("COMMIT", "TRANSACTION COMMIT"),
                arguments("COMMIT WORK AND NO CHAIN", "TRANSACTION COMMIT"),
                arguments("commit and chain", "TRANSACTION COMMIT_AND_CHAIN"),
                arguments("END TRANSACTION", "TRANSACTION COMMIT"),
                arguments("END AND CHAIN", "TRANSACTION COMMIT_AND_CHAIN"),
                arguments("ROLLBACK", "TRANSACTION ROLLBACK"),
                arguments("ABORT", "TRANSACTION ROLLBACK"),
                arguments("ROLLBACK TRANSACTION AND CHAIN", "TRANSACTION ROLLBACK_AND_CHAIN"),
                arguments("SAVEPOINT Sp1", "TRANSACTION SAVEPOINT name=sp1"),
                arguments("SAVEPOINT \"Sp1\"", "TRANSACTION SAVEPOINT name=Sp1"),
                arguments("RELEASE SAVEPOINT sp1", "TRANSACTION RELEASE name=sp1"),
                arguments("RELEASE sp1", "TRANSACTION RELEASE name=sp1"),
                arguments("ROLLBACK TO SAVEPOINT SP1", "TRANSACTION ROLLBACK_TO_SAVEPOINT name=sp1"),
                arguments("ROLLBACK WORK TO sp1", "TRANSACTION ROLLBACK_TO_SAVEPOINT name=sp1"),
                arguments("PREPARE TRANSACTION 'tx-1'", "TRANSACTION PREPARE_TRANSACTION name=tx-1"),
                arguments("COMMIT PREPARED 'tx-1'", "TRANSACTION COMMIT_PREPARED name=tx-1"),
                arguments("ROLLBACK PREPARED 'it''s'", "TRANSACTION ROLLBACK_PREPARED name=it's"),
                arguments("SAVEPOINT", "TRANSACTION SAVEPOINT malformed"),
                // SET
                arguments("SET search_path TO app, \"Other\", public", "SET name=search_path path=app,Other,public"),
                arguments("SET SESSION search_path = 'MySchema', \"$user\"", "SET name=search_path path=MySchema,$user"),
                arguments("set local search_path to s", "SET name=search_path path=s local"),
                arguments("SET search_path TO 'a, b'", "SET name=search_path path=a, b"),
                arguments("SET search_path TO DEFAULT", "SET name=search_path path=DEFAULT"),
                arguments("SET search_path = default", "SET name=search_path path=DEFAULT"),
                arguments("SET \"search_path\" TO x", "SET name=search_path path=x"),
                arguments("SET SCHEMA 'x'", "SET name=search_path path=x"),
                arguments("RESET search_path", "SET name=search_path path=DEFAULT"),
                arguments("RESET ALL", "SET name=all path=DEFAULT"),
                arguments("DISCARD ALL", "DEALLOCATE path=DEFAULT discardtemporary"),
                arguments("DISCARD TEMP", "OTHER discardtemporary"),
                arguments("discard temporary", "OTHER discardtemporary"),
                arguments("DISCARD PLANS", "OTHER"),
                arguments("SET statement_timeout = 0", "SET name=statement_timeout value=0"),
                arguments("SET TIME ZONE 'UTC'", "SET name=timezone value=UTC"),
                arguments("SET LOCAL TimeZone TO 'Asia/Tokyo'", "SET name=timezone value=Asia/Tokyo (local)"),
                arguments("set session \"DateStyle\" = 'ISO, DMY'", "SET name=DateStyle value=ISO, DMY"),
                arguments("SET datestyle TO SQL, dmy", "SET name=datestyle value=sql, dmy"),
                arguments("SET TIME ZONE -7", "SET name=timezone value=-7"),
                arguments("SET TIME ZONE LOCAL", "SET name=timezone value=DEFAULT"),
                arguments("SET TIME ZONE DEFAULT", "SET name=timezone value=DEFAULT"),
                arguments("SET TIME ZONE INTERVAL '+03:00' HOUR TO MINUTE", "SET name=timezone"),
                arguments("SET IntervalStyle = DEFAULT", "SET name=intervalstyle value=DEFAULT"),
                arguments("SET standard_conforming_strings TO off", "SET name=standard_conforming_strings value=off"),
                arguments("SET work_mem FROM CURRENT", "SET name=work_mem"),
                arguments("SET timezone TO now()", "SET name=timezone"),
                arguments("RESET TIME ZONE", "SET name=timezone value=DEFAULT"),
                arguments("SET NAMES 'LATIN1'", "SET name=client_encoding"),
                arguments("SET myapp.tenant = '42'", "SET name=myapp.tenant value=42"),
                arguments("SET ROLE bob", "SET name=role value=bob"),
                arguments("SET LOCAL ROLE \"Bob\"", "SET name=role value=Bob (local)"),
                arguments("SET SESSION ROLE 'bob'", "SET name=role value=bob"),
                arguments("SET ROLE NONE", "SET name=role value=none"),
                arguments("SET role TO bob", "SET name=role value=bob"),
                arguments("SET role = DEFAULT", "SET name=role value=DEFAULT"),
                arguments("RESET ROLE", "SET name=role value=DEFAULT"),
                arguments("SET ROLE bob alice", "SET name=role"),
                arguments("SET SESSION AUTHORIZATION bob", "SET name=session_authorization value=bob"),
                arguments("SET LOCAL SESSION AUTHORIZATION 'Bob'", "SET name=session_authorization value=Bob (local)"),
                arguments("SET SESSION SESSION AUTHORIZATION DEFAULT", "SET name=session_authorization value=DEFAULT"),
                arguments("RESET SESSION AUTHORIZATION", "SET name=session_authorization value=DEFAULT"),
                arguments("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SET"),
                arguments("SET search_path", "SET name=search_path malformed"),
                arguments("RESET work_mem", "SET name=work_mem value=DEFAULT"),
                // PREPARE / EXECUTE / EXPLAIN / CALL / DO
                arguments("PREPARE p AS INSERT INTO t VALUES ($1)", "PREPARE name=p inner=(INSERT table=t)"),
                arguments("PREPARE P (int, text) AS INSERT INTO t VALUES ($1, now())",
                        "PREPARE name=p inner=(INSERT table=t nondet=now)"),
                arguments("PREPARE p AS SELECT 1", "PREPARE name=p inner=(SELECT)"),
                arguments("PREPARE p", "PREPARE name=p malformed"),
                arguments("PREPARE p AS INSERT t", "PREPARE name=p inner=(INSERT malformed) malformed"),
                arguments("EXECUTE p (1, 2)", "EXECUTE name=p"),
                arguments("DEALLOCATE P", "DEALLOCATE name=p"),
                arguments("deallocate prepare \"P\"", "DEALLOCATE name=P"),
                arguments("DEALLOCATE prepare", "DEALLOCATE name=prepare"),
                arguments("DEALLOCATE ALL", "DEALLOCATE"),
                arguments("DEALLOCATE PREPARE ALL", "DEALLOCATE"),
                arguments("DEALLOCATE", "DEALLOCATE malformed"),
                arguments("DEALLOCATE p q", "DEALLOCATE name=p malformed"),
                arguments("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "OTHER explainWrite inner=(INSERT table=t)"),
                arguments("EXPLAIN ANALYSE VERBOSE DELETE FROM t", "OTHER explainWrite inner=(DELETE table=t)"),
                arguments("EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1", "OTHER explainWrite inner=(UPDATE table=t)"),
                arguments("EXPLAIN (FORMAT JSON, ANALYZE true) INSERT INTO t VALUES (1)",
                        "OTHER explainWrite inner=(INSERT table=t)"),
                arguments("EXPLAIN (ANALYZE off) INSERT INTO t VALUES (1)", "OTHER inner=(INSERT table=t)"),
                arguments("EXPLAIN INSERT INTO t VALUES (1)", "OTHER inner=(INSERT table=t)"),
                arguments("EXPLAIN ANALYZE SELECT 1", "OTHER inner=(SELECT)"),
                arguments("EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
                        "OTHER explainWrite inner=(SELECT with dmlWith=t)"),
                arguments("EXPLAIN ANALYZE CREATE TABLE t2 AS SELECT 1", "OTHER explainWrite inner=(DDL table=t2 create)"),
                arguments("EXPLAIN", "OTHER malformed"),
                arguments("CALL p(1)", "CALL"),
                arguments("DO $$ BEGIN INSERT INTO t VALUES (1); END $$", "OTHER"),
                arguments("DO LANGUAGE plpgsql $body$ BEGIN DELETE FROM t; END; $body$", "OTHER"),
                arguments("SHOW search_path", "OTHER"),
                arguments("LISTEN ch", "OTHER"),
                arguments("VACUUM ANALYZE t", "OTHER"),
                arguments("\"select\" 1", "OTHER"),
                // malformed input never throws
                arguments("INSERT INTO t VALUES ('unterminated", "INSERT table=t malformed"),
                arguments("INSERT INTO t VALUES (E'it\\'s", "INSERT table=t malformed"),
                arguments("INSERT INTO t VALUES ($$never closed", "INSERT table=t malformed"),
                arguments("INSERT INTO \"unterminated VALUES (1)", "INSERT malformed"),
                arguments("INSERT INTO t VALUES (1 /* open", "INSERT table=t malformed"),
                arguments("INSERT INTO t VALUES (1", "INSERT table=t malformed"),
                arguments("INSERT INTO t VALUES 1)", "INSERT table=t malformed"),
                arguments("INSERT INTO \"\" VALUES (1)", "INSERT malformed"),
                arguments("INSERT INTO t VALUES (123abc)", "INSERT table=t malformed"),
                arguments("INSERT INTO", "INSERT malformed"),
                arguments("INSERT t VALUES (1)", "INSERT malformed"),
                arguments("INSERT INTO t", "INSERT table=t malformed"),
                arguments("INSERT INTO t (a", "INSERT table=t cols=a malformed"),
                arguments("INSERT INTO t () VALUES ()", "INSERT table=t malformed"),
                arguments("INSERT INTO U&\"\\zzzz\" VALUES (1)", "INSERT malformed"),
                arguments("INSERT INTO U&\"x\" UESCAPE 'ab' VALUES (1)", "INSERT malformed"),
                arguments("/* open", "OTHER malformed"),
                arguments("42", "OTHER malformed"),
                arguments("{", "OTHER malformed"),
                arguments("frobnicate the table", "OTHER"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("statements")
    void classifiesOneStatement(String sql, String expected) {
        List<ClassifiedStatement> result = StatementClassifier.classify(sql);
        assertThat(Describe.all(result)).as(sql).isEqualTo(expected);
    }

    static Stream<Arguments> multiStatements() {
        return Stream.of(
                arguments("BEGIN; INSERT INTO t VALUES (1); COMMIT;", "TRANSACTION BEGIN ; INSERT table=t ; TRANSACTION COMMIT"),
                arguments(";;  ; BEGIN;;", "TRANSACTION BEGIN"),
                arguments("", ""),
                arguments("  -- only a comment\n /* and another */ ", ""),
                arguments("SELECT 'a;b'; SELECT \"c;d\"; SELECT $x$;$x$; SELECT 1 -- ;\n; SELECT /* ; */ 2",
                        "SELECT ; SELECT ; SELECT ; SELECT ; SELECT"),
                arguments("CREATE RULE r AS ON DELETE TO t DO INSTEAD (UPDATE t SET x = 1; INSERT INTO u VALUES (1)); "
                        + "DELETE FROM t", "DDL ; DELETE table=t"),
                arguments("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
                        + "SELECT CASE WHEN true THEN 1 ELSE 2 END; END; INSERT INTO u VALUES (2)",
                        "DDL ; INSERT table=u"),
                arguments("CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC DELETE FROM t; END; BEGIN; COMMIT",
                        "DDL ; TRANSACTION BEGIN ; TRANSACTION COMMIT"),
                arguments("BEGIN; SELECT CASE WHEN true THEN 1 END; COMMIT",
                        "TRANSACTION BEGIN ; SELECT ; TRANSACTION COMMIT"),
                arguments("SELECT 1; /* never closed", "SELECT ; OTHER malformed"),
                arguments("CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2", "DDL malformed"),
                arguments("SELECT (1; SELECT 2", "SELECT malformed"),
                arguments("SELECT 1); SELECT 2", "SELECT malformed ; SELECT"),
                arguments("INSERT INTO a VALUES (1);INSERT INTO b VALUES (2)", "INSERT table=a ; INSERT table=b"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("multiStatements")
    void classifiesEachStatementOfAString(String sql, String expected) {
        assertThat(Describe.all(StatementClassifier.classify(sql))).as(sql).isEqualTo(expected);
    }

    @Test
    void followsTheSessionsStandardConformingStrings() {
        String sql = "SELECT 'a\\'; DELETE FROM t; --'";
        assertThat(Describe.all(StatementClassifier.classify(sql, false))).isEqualTo("SELECT");
        assertThat(Describe.all(StatementClassifier.classify(sql, true))).isEqualTo("SELECT ; DELETE table=t");
        assertThat(StatementSplitter.split(sql, false)).hasSize(1);
    }

    @Test
    void reportsEachStatementsSpanInTheOriginalString() {
        String sql = "  /* c */ BEGIN ;\n INSERT INTO t VALUES (';') ; -- end\n COMMIT";
        List<ClassifiedStatement> result = StatementClassifier.classify(sql);
        assertThat(result).extracting(s -> s.text(sql)).containsExactly("BEGIN", "INSERT INTO t VALUES (';')", "COMMIT");
        assertThat(result.get(0).start()).isEqualTo(10);
    }

    @Test
    void innerStatementsKeepSpansInTheOriginalString() {
        String sql = "PREPARE p AS INSERT INTO t VALUES ($1)";
        ClassifiedStatement inner = StatementClassifier.classify(sql).get(0).inner();
        assertThat(inner.text(sql)).isEqualTo("INSERT INTO t VALUES ($1)");
    }

    @Test
    void truncatesLongIdentifiersTo63BytesLikePostgres() {
        String longName = "a".repeat(70);
        assertThat(StatementClassifier.classify("INSERT INTO " + longName + " VALUES (1)").get(0).table().name())
                .isEqualTo("a".repeat(63));
        String multiByte = "é".repeat(40); // 2 bytes each: 31 fit
        assertThat(StatementClassifier.classify("INSERT INTO \"" + multiByte + "\" VALUES (1)").get(0).table().name())
                .isEqualTo("é".repeat(31));
    }
}
