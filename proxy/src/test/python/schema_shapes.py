"""Writes the schema shapes of SchemaShapesMirrorIT through the proxy with the typed drivers, in binary.

Run by SchemaShapesMirrorIT: schema_shapes.py HOST PORT DATABASE USER SCENARIO OLDEST, OLDEST the major version of
the older server of the pair (the proxy reports the source's alone). asyncpg binds every parameter in
binary with the type OIDs the server described (arrays of enums and of composites carry the source's element OIDs)
and copies in binary; psycopg 3 with binary=True declares the source's OIDs of the enum and composite types it
registered, and copies in binary with them. The values are the edge cases time-series data has: infinities, BC dates,
NaN and -0, very long text, odd unicode, empty arrays, NULLs everywhere, bytea with every byte value. PostgreSQL
before 14 has neither multiranges nor numeric infinities: with such a source or target, column tmr is an array of
tstzrange, written from the same list of ranges, and the numeric infinities are NaN. A scenario prints the number of
rows it committed per table, which the test checks against the source.
"""
import asyncio
import datetime
import decimal
import json
import sys
import uuid

HOST, PORT, DATABASE, USER, SCENARIO = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
SINCE_14 = int(sys.argv[6]) >= 14
UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 1, 15, tzinfo=UTC)
D = decimal.Decimal
COMMITTED = {}


def committed(table, rows):
    COMMITTED[table] = COMMITTED.get(table, 0) + rows


def hours(n):
    return T0 + datetime.timedelta(hours=n)


def edge_rows(first):
    """Edge values of every column of shapes.edge, and a row of NULLs: ids first, first + 1, ..."""
    rows = [
        (datetime.datetime(1, 1, 1, tzinfo=UTC), datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
         datetime.date(1, 1, 1), D('NaN'), float('nan'), -0.0, 'x' * 100_000, [], [], bytes(range(256)) * 4,
         {"k": [None, True, 1.5e300, "\u00e9"]}, datetime.timedelta(days=-30, microseconds=1), uuid.UUID(int=0)),
        (None, None, None, D('-0.000000000000000000000000000001'), float('inf'), float('-inf'), '', [None],
         [None, 'NULL', '', '"', '\\', '{', '}', ','], b'', None, datetime.timedelta(0), uuid.UUID(int=2 ** 128 - 1)),
        (T0, datetime.datetime(2026, 1, 1), datetime.date(2026, 2, 28), D('123456789012345678901234567890.0123456789'),
         2.2250738585072014e-308, 1.17549435e-38, '\u0001\u007f\u0080\u00ff\u2028\ufeff\uffff\U0001f600\U0010ffff',
         [[1, None], [3, 4]], ['tab\there', 'new\nline'], b'\x00', [], None, None),
        (None,) * 13,
    ]
    return [(first + i,) + row for i, row in enumerate(rows)]


async def asyncpg_main():
    import asyncpg
    c = await asyncpg.connect(host=HOST, port=PORT, database=DATABASE, user=USER)
    # (asyncpg encodes a list of ranges as the column's type says: a tstzmultirange, or before 14 a tstzrange[])

    def tstz(a, b):
        return asyncpg.Range(hours(a), hours(b))

    typed = ("INSERT INTO shapes.typed (id, m, ms, p, st, r, pt, pts, tg, tgs, tr, tmr, fr, ci, hs)"
             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
    rows = [(i, 'happy', ['sad', 'ok', None], i, 'short %d' % i, T0, (1.5, -2.0, float(i)), [(1.0, 2.0, 3.0), None],
             ('ok', 'note %d' % i), [('sad', 'x'), ('happy', None)], tstz(0, i), [tstz(0, 1), tstz(2, 3)],
             asyncpg.Range(0.5, 1.5, upper_inc=True), 'CaseLess', '"a"=>"1", "b"=>NULL') for i in range(1, 9)]
    await c.executemany(typed, rows)
    committed("typed", len(rows))
    await c.execute(typed, 100, *([None] * 14))
    committed("typed", 1)
    await c.execute("INSERT INTO shapes.typed (id, ms, tgs, tmr, pts) VALUES ($1, $2, $3, $4, $5)", 101, [], [], [], [])
    committed("typed", 1)
    await c.copy_records_to_table("typed", schema_name="shapes",
                                  columns=["id", "m", "ms", "p", "st", "r", "pt", "pts", "tg", "tgs", "tr", "tmr", "fr"],
                                  records=[(200 + r[0],) + r[1:13] for r in rows])
    committed("typed", len(rows))

    await c.executemany("INSERT INTO shapes.ident (v) VALUES ($1)", [(i,) for i in range(3)])
    await c.executemany("INSERT INTO shapes.ident (id, b, s, v) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4)",
                        [(100 + i, 200 + i, 300 + i, i) for i in range(3)])
    await c.copy_records_to_table("ident", schema_name="shapes", columns=["b", "s", "d", "v"],
                                  records=[(700 + i, 800 + i, None, i) for i in range(3)])
    committed("ident", 9)

    events = [(T0 + datetime.timedelta(days=d), device, float(d)) for d in (0, 20, 400) for device in (1, 5)]
    await c.executemany("INSERT INTO shapes.events VALUES ($1, $2, $3)", events)
    await c.execute("INSERT INTO shapes.events_2026_01 VALUES ($1, 9, 9)", hours(1))
    await c.execute("INSERT INTO shapes.events_2026_02_a VALUES ($1, 1, 9)", hours(24 * 20 + 1))
    await c.execute("INSERT INTO shapes.events_2026_02_rest VALUES ($1, 7, 9)", hours(24 * 20 + 2))
    await c.execute("INSERT INTO shapes.events_default VALUES ($1, 7, 9)", hours(24 * 200))
    await c.copy_records_to_table("events", schema_name="shapes", records=[(hours(3), 3, 3.0)])
    await c.copy_records_to_table("events_2026_02_a", schema_name="shapes", records=[(hours(24 * 21), 2, 1.0)])
    committed("events", len(events) + 6)

    await c.execute("INSERT INTO shapes.store_view VALUES ($1, $2)", 1, 'through the view')
    committed("store", 1)
    await c.executemany('INSERT INTO "Odd Schema"."Mixed Case" ("Id", "Col A", "ünï cödé", "select")'
                        ' VALUES ($1, $2, $3, $4)', [(i, 'a%d' % i, '\u00fc%d' % i, i) for i in range(3)])
    await c.copy_records_to_table("Mixed Case", schema_name="Odd Schema", records=[(100, 'x', 'y', 1)])
    committed("Mixed Case", 4)
    await c.executemany('INSERT INTO shapes."Ünïcode tåble" VALUES ($1, $2)', [(i, 'w') for i in range(2)])
    await c.copy_records_to_table("Ünïcode tåble", schema_name="shapes", records=[(10, 'c')])
    committed("Ünïcode tåble", 3)

    edge = "INSERT INTO shapes.edge VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    # asyncpg takes jsonb as its text
    await c.executemany(edge, [r[:11] + (None if r[11] is None else json.dumps(r[11]),) + r[12:]
                               for r in edge_rows(1)])
    await c.copy_records_to_table("edge", schema_name="shapes",
                                  records=[r[:11] + (None if r[11] is None else json.dumps(r[11]),) + r[12:]
                                           for r in edge_rows(100)])
    # what asyncpg cannot encode: infinite timestamps, numeric infinities, BC dates
    await c.execute("INSERT INTO shapes.edge (id, tz, ts, d, n) VALUES ($1, $2::text::timestamptz,"
                    " $3::text::timestamp, $4::text::date, $5::text::numeric)", 200, 'infinity', '-infinity',
                    '4713-01-01 BC', 'Infinity' if SINCE_14 else 'NaN')
    committed("edge", 9)
    await c.close()


def psycopg3_scenario():
    import psycopg
    from psycopg.types.composite import CompositeInfo, register_composite
    from psycopg.types.enum import EnumInfo, register_enum
    from psycopg.types.json import Jsonb
    from psycopg.types.multirange import Multirange
    from psycopg.types.range import Range
    with psycopg.connect(host=HOST, port=PORT, dbname=DATABASE, user=USER, autocommit=True) as conn:
        # psycopg dumps a Multirange with the multirange's OID, a list of ranges as a tstzrange[]
        ranges, ranges_type = (Multirange, "tstzmultirange") if SINCE_14 else (list, "tstzrange[]")
        infinity = D('Infinity') if SINCE_14 else D('NaN')
        mood = EnumInfo.fetch(conn, "shapes.mood")
        register_enum(mood, conn)
        point3 = CompositeInfo.fetch(conn, "shapes.point3")
        register_composite(point3, conn)
        tagged = CompositeInfo.fetch(conn, "shapes.tagged")
        register_composite(tagged, conn)
        m, p3, tg = mood.enum, point3.python_type, tagged.python_type
        cur = conn.cursor(binary=True)

        def row(i):
            return (i, m.happy, [m.sad, None], p3(1.0, 2.0, float(i)), [p3(0.0, 0.0, 0.0), None], tg(m.ok, 'n%d' % i),
                    [tg(m.sad, None)], Range(T0, hours(i)), ranges([Range(T0, hours(1))]))
        typed = "INSERT INTO shapes.typed (id, m, ms, pt, pts, tg, tgs, tr, tmr) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        cur.execute(typed, row(1))
        cur.executemany(typed, [row(i) for i in range(2, 8)])
        with conn.pipeline():
            cur.executemany(typed, [row(i) for i in range(10, 14)])
        committed("typed", 11)
        # (psycopg 3.1 cannot dump composites in a binary COPY; asyncpg's covers them)
        with cur.copy("COPY shapes.typed (id, m, ms, tr, tmr) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", mood.oid, mood.array_oid, "tstzrange", ranges_type])
            for i in range(100, 104):
                r = row(i)
                copy.write_row((i, r[1], r[2], r[7], r[8]))
        committed("typed", 4)
        cur.execute("INSERT INTO shapes.typed (id, p, st, r) VALUES (%s, %s, %s, %s)", (200, 3, 'domains', T0))
        committed("typed", 1)

        edge = "INSERT INTO shapes.edge VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        rows = [r[:11] + (None if r[11] is None else Jsonb(r[11]),) + r[12:] for r in edge_rows(1)]
        rows.append((10, None, None, None, infinity, -0.0, float('nan'), None, None, None, None, None, None, None))
        rows.append((11, None, None, None, -infinity, None, None, None, None, None, None, None, None, None))
        cur.executemany(edge, rows)
        conn.cursor().executemany(edge, [(100 + r[0],) + r[1:] for r in rows])
        types = ["int4", "timestamptz", "timestamp", "date", "numeric", "float8", "float4", "text", "int4[]", "text[]",
                 "bytea", "jsonb", "interval", "uuid"]
        for fmt, offset in (("BINARY", 200), ("TEXT", 300)):
            with cur.copy("COPY shapes.edge FROM STDIN (FORMAT %s)" % fmt) as copy:
                copy.set_types(types)
                for r in rows:
                    copy.write_row((offset + r[0],) + r[1:])
        committed("edge", 4 * len(rows))
    return COMMITTED


SCENARIOS = {
    "asyncpg": lambda: asyncio.run(asyncpg_main()) or COMMITTED,
    "psycopg3": psycopg3_scenario,
}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[SCENARIO](), sort_keys=True, ensure_ascii=True))
