"""Writes through the proxy the way Python applications do, with the drivers they use: psycopg2, psycopg 3, asyncpg.

Run by PythonClientsIT: real_clients.py HOST PORT DATABASE USER SCENARIO. Each scenario commits some writes and rolls
others back in the driver's own idioms (client-side interpolation, server-side binding, pipeline mode, binary
parameters, binary COPY, savepoints); the test then compares the source's and the target's tables. A scenario prints
the number of rows it committed per table, which the test checks against the source.
"""
import asyncio
import datetime
import decimal
import json
import sys
import uuid

HOST, PORT, DATABASE, USER, SCENARIO = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
UTC = datetime.timezone.utc
BASE = datetime.datetime(2026, 4, 1, tzinfo=UTC)
TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def at(n):
    return BASE + datetime.timedelta(seconds=n)


def metric(n):
    """A metrics row: an aware time (every third one in another zone), a device, a value, a note (sometimes NULL)."""
    t = at(n) if n % 3 else at(n).astimezone(TOKYO)
    return (t, n % 7, n / 3.0, None if n % 5 == 0 else "n%d 'q' \\ %s" % (n, "é" * (n % 2)))


def reading(n):
    return (n, at(n), ["a%d" % n, None, "b,c"], {"n": n, "nested": [1, "x"]}, bytes([n % 256, 0, 255]),
            decimal.Decimal("%d.%03d" % (n, n % 1000)), uuid.UUID(int=n), n % 2 == 0)


def expect_failure(action, what):
    try:
        action()
    except Exception as e:  # the driver's own error type; any of them is what the scenario wants
        return e
    raise AssertionError("expected %s to fail" % what)


def psycopg2_scenario():
    import psycopg2
    import psycopg2.extras
    psycopg2.extras.register_uuid()
    conn = psycopg2.connect(host=HOST, port=PORT, dbname=DATABASE, user=USER, options="-c TimeZone=Asia/Tokyo")
    cur = conn.cursor()
    # client-side interpolation in one multi-row INSERT, the usual way to write many rows with psycopg2
    psycopg2.extras.execute_values(cur, "INSERT INTO metrics VALUES %s", [metric(n) for n in range(0, 300)],
                                   page_size=100)
    cur.executemany("INSERT INTO metrics VALUES (%s, %s, %s, %s)", [metric(n) for n in range(300, 320)])
    conn.commit()
    cur.executemany("INSERT INTO metrics VALUES (%s, %s, %s, %s)", [metric(n) for n in range(320, 330)])
    conn.rollback()
    # a local time without an offset, read in the session's zone (Tokyo) on both servers
    cur.execute("INSERT INTO metrics VALUES (%s, 100, 1, 'naive')", (datetime.datetime(2026, 4, 2, 9, 0),))
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO metrics VALUES (%s, 101, 1, 'undone')", (at(5),))
    cur.execute("ROLLBACK TO SAVEPOINT s")
    conn.commit()
    text = "".join("%s\t%d\t%s\t%s\n" % (at(n).isoformat(), n % 7, n * 0.5, "copy\\t%d" % n) for n in range(400, 600))
    cur.copy_expert("COPY metrics FROM STDIN", _Lines(text))
    csv = "".join('%s,%d,%s,"c,""%d"""\n' % (at(n).isoformat(), n % 7, n, n) for n in range(600, 700))
    cur.copy_expert("COPY metrics (t, device, v, note) FROM STDIN WITH (FORMAT csv)", _Lines(csv))
    conn.commit()
    cur.copy_expert("COPY metrics FROM STDIN", _Lines("%s\t1\t1\tgone\n" % at(900).isoformat()))
    conn.rollback()
    # a failed transaction: its COMMIT is a rollback
    cur.execute("INSERT INTO metrics VALUES (%s, 0, 0, 'lost')", (at(901),))
    expect_failure(lambda: cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(1)), "a duplicate key")
    conn.commit()
    conn.autocommit = True
    psycopg2.extras.execute_batch(cur, "INSERT INTO readings VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                                  [_adapt2(reading(n)) for n in range(1, 51)])
    conn.close()
    return {"metrics": 300 + 20 + 1 + 200 + 100, "readings": 50}


def _adapt2(row):
    import psycopg2.extras
    return row[:3] + (psycopg2.extras.Json(row[3]),) + row[4:]


class _Lines:
    """A file-like object over text, what copy_expert reads from."""

    def __init__(self, text):
        self.data = text.encode("utf-8")
        self.pos = 0

    def read(self, size=-1):
        end = len(self.data) if size is None or size < 0 else self.pos + size
        chunk = self.data[self.pos:end]
        self.pos += len(chunk)
        return chunk

    def readline(self, size=-1):
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end + 1
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk


def psycopg3_scenario():
    import psycopg
    from psycopg.types.json import Jsonb
    with psycopg.connect(host=HOST, port=PORT, dbname=DATABASE, user=USER, prepare_threshold=2,
                         options="-c DateStyle=ISO,DMY") as conn:
        with conn.cursor() as cur:
            # server-side binding; from the third execution a named prepared statement
            for n in range(1000, 1020):
                cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(n))
            # binary parameters
            for n in range(1020, 1030):
                cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(n), binary=True)
            # executemany runs in pipeline mode
            cur.executemany("INSERT INTO metrics VALUES (%s, %s, %s, %s)", [metric(n) for n in range(1030, 1230)])
            conn.commit()
            cur.executemany("INSERT INTO metrics VALUES (%s, %s, %s, %s)", [metric(n) for n in range(1230, 1240)])
            conn.rollback()
            cur.execute("INSERT INTO metrics VALUES ('02/04/2026 10:00', 102, 2, 'dmy')")
            cur.execute("INSERT INTO metrics VALUES (%s, 103, 3, 'returning') RETURNING t", (at(1240),))
            assert cur.fetchone()[0] == at(1240)
            conn.commit()
            with cur.copy("COPY readings (id, t, tags, payload, raw, amount, u, flag) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["bigint", "timestamptz", "text[]", "jsonb", "bytea", "numeric", "uuid", "boolean"])
                for n in range(100, 300):
                    row = reading(n)
                    copy.write_row(row[:3] + (Jsonb(row[3]),) + row[4:])
            with cur.copy("COPY metrics (t, device, v, note) FROM STDIN") as copy:
                for n in range(1300, 1400):
                    copy.write_row(metric(n))
            conn.commit()
        # an explicit pipeline: transactions committed and rolled back inside it, and an error that aborts the rest
        conn.autocommit = True
        with conn.pipeline():
            with conn.cursor() as cur:
                with conn.transaction():
                    for n in range(1400, 1450):
                        cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(n))
                try:
                    with conn.transaction():
                        cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(1450))
                        raise _Undo()
                except _Undo:
                    pass
                for n in range(1451, 1461):
                    cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(n), binary=True)
        try:
            with conn.pipeline():
                with conn.cursor() as cur:
                    with conn.transaction():
                        cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(1500))
                        cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(1000))
                        cur.execute("INSERT INTO metrics VALUES (%s, %s, %s, %s)", metric(1501))
        except psycopg.errors.UniqueViolation:
            pass
        else:
            raise AssertionError("the duplicate key should have failed the pipelined transaction")
    return {"metrics": 20 + 10 + 200 + 2 + 100 + 50 + 10, "readings": 200}


class _Undo(Exception):
    pass


async def asyncpg_main():
    import asyncpg
    conn = await asyncpg.connect(host=HOST, port=PORT, database=DATABASE, user=USER,
                                 server_settings={"TimeZone": "America/New_York"})
    insert = "INSERT INTO metrics VALUES ($1, $2, $3, $4)"
    await conn.executemany(insert, [metric(n) for n in range(2000, 2200)])
    async with conn.transaction():
        for n in range(2200, 2210):
            await conn.execute(insert, *metric(n))
        try:
            async with conn.transaction():  # a savepoint
                await conn.execute(insert, *metric(2210))
                raise _Undo()
        except _Undo:
            pass
        stmt = await conn.prepare("INSERT INTO metrics VALUES ($1, $2, $3, $4) RETURNING device")
        assert await stmt.fetchval(*metric(2211)) == 2211 % 7
    try:
        async with conn.transaction():
            await conn.executemany(insert, [metric(n) for n in range(2300, 2310)])
            raise _Undo()
    except _Undo:
        pass
    try:
        await conn.executemany(insert, [metric(2400), metric(2000), metric(2401)])
    except asyncpg.UniqueViolationError:
        pass
    else:
        raise AssertionError("the duplicate key should have failed the batch")
    await conn.copy_records_to_table("readings", records=[_json_text(reading(n)) for n in range(1000, 1300)])
    await conn.copy_records_to_table("metrics", records=[metric(n) for n in range(2500, 2600)],
                                     columns=["t", "device", "v", "note"])
    await conn.execute("INSERT INTO metrics VALUES ('2026-04-02 09:00', 104, 4, 'naive')")
    await conn.close()
    return {"metrics": 200 + 10 + 1 + 100 + 1, "readings": 300}


def _json_text(row):
    """asyncpg takes jsonb as its text."""
    return row[:3] + (json.dumps(row[3]),) + row[4:]


SCENARIOS = {
    "psycopg2": psycopg2_scenario,
    "psycopg3": psycopg3_scenario,
    "asyncpg": lambda: asyncio.run(asyncpg_main()),
}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[SCENARIO]()))
