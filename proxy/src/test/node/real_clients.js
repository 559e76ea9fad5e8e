'use strict'
/*
 * Writes through the proxy the way Node.js applications do, with node-postgres (pg) and pg-copy-streams.
 *
 * Run by NodeClientsIT: node real_clients.js HOST PORT DATABASE USER SCENARIO. Each scenario commits some writes and
 * rolls others back in node-postgres's own idioms (parameterized queries on the unnamed statement, named prepared
 * statements, a Pool, pipeline mode, queued queries, COPY streams, sessions that end inside a transaction); the test
 * then compares the source's and the target's tables. A scenario prints the number of rows it committed per table,
 * which the test checks against the source.
 *
 * node-postgres turns a Date into local time with the process's offset ("2026-04-01T14:30:00.000+05:30"), an object
 * into its JSON, an array into an array literal and a Buffer into a binary parameter: the values below are of those
 * kinds, in process zones and session TimeZones other than UTC.
 */
const assert = require('assert/strict')
const { Readable } = require('stream')
const { pipeline } = require('stream/promises')
const pg = require('pg')
const { from: copyFrom } = require('pg-copy-streams')

const [HOST, PORT, DATABASE, USER, SCENARIO] = process.argv.slice(2)
const CONNECTION = { host: HOST, port: Number(PORT), database: DATABASE, user: USER }
const BASE = Date.UTC(2026, 3, 1)
const INSERT_METRIC = 'INSERT INTO metrics VALUES ($1, $2, $3, $4)'
const INSERT_READING =
  'INSERT INTO readings (id, t, tags, counts, times, payload, doc, raw, amount, u, flag, day, local)' +
  ' VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)'

/** The n-th second after BASE, with n % 1000 milliseconds: node-postgres sends milliseconds. */
function at(n) {
  return new Date(BASE + n * 1000 + (n % 1000))
}

/** A metrics row: a Date, a device, a value, a note (sometimes NULL, with quotes, a backslash and non-ASCII). */
function metric(n) {
  return [at(n), n % 7, n / 3, n % 5 === 0 ? null : `n${n} 'q' \\ ${'é'.repeat(n % 2)}`]
}

/** A readings row: arrays with NULLs and quoting, objects as jsonb and json, a Buffer, Dates as four types. */
function reading(n) {
  return [
    n,
    at(n),
    [`a${n}`, null, 'b,c', '{"x"}', 'back\\slash'],
    [n, -n, null],
    [at(n), at(n + 1)],
    { n, nested: [1, 'x', null], quote: "it's \"q\"" },
    { n, text: 'é\u00a0€' },
    Buffer.from([n % 256, 0, 255, 39, 92]),
    `${n}.${String(n % 1000).padStart(3, '0')}`,
    `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    n % 2 === 0,
    at(n),
    at(n),
  ]
}

function range(from, to) {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

async function connect(extra = {}) {
  const client = new pg.Client({ ...CONNECTION, ...extra })
  await client.connect()
  return client
}

/** One Client: unnamed and named statements, transactions, savepoints, a failed transaction, multi-statement SQL. */
async function clientScenario() {
  const client = await connect()
  // a parameterized query: Parse/Bind/Describe/Execute/Sync on the unnamed statement, in its own transaction
  for (const n of range(0, 50)) {
    await client.query(INSERT_METRIC, metric(n))
  }
  // a named prepared statement: parsed with the first execution, only bound after that
  for (const n of range(50, 100)) {
    await client.query({ name: 'insert-metric', text: INSERT_METRIC, values: metric(n) })
  }
  await client.query('BEGIN')
  for (const n of range(100, 150)) {
    await client.query({ name: 'insert-metric', text: INSERT_METRIC, values: metric(n) })
  }
  await client.query('COMMIT')
  await client.query('BEGIN')
  for (const n of range(150, 160)) {
    await client.query(INSERT_METRIC, metric(n))
  }
  await client.query('ROLLBACK')
  // savepoints: one rolled back to, one released
  await client.query('BEGIN')
  await client.query(INSERT_METRIC, metric(160))
  await client.query('SAVEPOINT a')
  await client.query({ name: 'insert-metric', text: INSERT_METRIC, values: metric(161) })
  await client.query('ROLLBACK TO SAVEPOINT a')
  await client.query(INSERT_METRIC, metric(162))
  await client.query('SAVEPOINT b')
  await client.query(INSERT_METRIC, metric(163))
  await client.query('RELEASE SAVEPOINT b')
  await client.query('COMMIT')
  // a failed transaction: its COMMIT is a rollback
  await client.query('BEGIN')
  await client.query(INSERT_METRIC, metric(170))
  await assert.rejects(client.query(INSERT_METRIC, metric(0)), { code: '23505' })
  await assert.rejects(client.query(INSERT_METRIC, metric(171)), { code: '25P02' })
  assert.equal((await client.query('COMMIT')).command, 'ROLLBACK')
  // a multi-statement simple query: one implicit transaction, committed whole or not at all
  await client.query(
    "INSERT INTO metrics VALUES ('2026-04-02 00:00:00+00', 1, 1, 'multi 1');" +
      " INSERT INTO metrics VALUES ('2026-04-02 00:00:01+00', 2, 2, 'multi 2')," +
      " ('2026-04-02 00:00:02+00', 3, 3, NULL);" +
      " INSERT INTO readings (id, t, tags, payload) VALUES (1000, '2026-04-02 00:00:03+00', '{x,y}', '{\"m\": 1}')",
  )
  await assert.rejects(
    client.query(
      "INSERT INTO metrics VALUES ('2026-04-02 00:01:00+00', 1, 1, 'multi lost');" +
        " INSERT INTO metrics VALUES ('2026-04-02 00:00:00+00', 1, 1, 'multi duplicate')",
    ),
    { code: '23505' },
  )
  // a multi-statement query with its own transactions: the first committed, the second rolled back
  await client.query(
    "BEGIN; INSERT INTO metrics VALUES ('2026-04-02 00:02:00+00', 1, 1, 'multi tx'); COMMIT;" +
      " BEGIN; INSERT INTO metrics VALUES ('2026-04-02 00:03:00+00', 1, 1, 'multi undone'); ROLLBACK",
  )
  // the extended protocol without parameters
  await client.query({
    text: "INSERT INTO metrics VALUES ('2026-04-02 00:04:00+00', 4, 4, 'extended, no parameters')",
    queryMode: 'extended',
  })
  // every kind of value node-postgres converts, on the unnamed and on a named statement
  for (const n of range(1, 21)) {
    await client.query(INSERT_READING, reading(n))
  }
  await client.query('BEGIN')
  for (const n of range(21, 41)) {
    await client.query({ name: 'insert-reading', text: INSERT_READING, values: reading(n) })
  }
  await client.query('COMMIT')
  const returned = await client.query(INSERT_METRIC + ' RETURNING device, t', metric(180))
  assert.equal(returned.rows[0].device, 180 % 7)
  assert.equal(returned.rows[0].t.getTime(), at(180).getTime())
  await client.end()
  // statement_timeout, which node-postgres sends at start-up: the statement the server cancels fails the transaction
  const timed = await connect({ statement_timeout: 100 })
  await timed.query('BEGIN')
  await timed.query(INSERT_METRIC, metric(190))
  await assert.rejects(timed.query('SELECT pg_sleep(10)'), { code: '57014' })
  assert.equal((await timed.query('COMMIT')).command, 'ROLLBACK')
  await timed.query(INSERT_METRIC, metric(191))
  await timed.end()
  return { metrics: 50 + 50 + 50 + 3 + 3 + 1 + 1 + 1 + 1, readings: 1 + 40 }
}

/**
 * A Pool in a process whose zone is not UTC, whose sessions run in yet another TimeZone: concurrent queries, a
 * transaction per checked-out client, and a session that changes its TimeZone with SET before writing local times.
 */
async function poolScenario() {
  process.env.TZ = 'Asia/Kolkata' // node-postgres sends Dates as "…+05:30"
  const pool = new pg.Pool({ ...CONNECTION, max: 4, options: '-c TimeZone=America/New_York' })
  await Promise.all(range(200, 300).map((n) => pool.query(INSERT_METRIC, metric(n))))
  await Promise.all(
    range(0, 6).map(async (k) => {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        for (const n of range(300 + 20 * k, 320 + 20 * k)) {
          await client.query({ name: 'pool-insert', text: INSERT_METRIC, values: metric(n) })
        }
        await client.query(INSERT_READING, reading(100 + k))
        await client.query(k % 2 === 0 ? 'COMMIT' : 'ROLLBACK')
      } finally {
        client.release()
      }
    }),
  )
  // local times without an offset, read in the session's zone: New York's, then Adelaide's after SET
  await pool.query(INSERT_METRIC, ['2026-04-03 09:00', 100, 1, 'naive new york'])
  const client = await pool.connect()
  try {
    await client.query("SET TIME ZONE 'Australia/Adelaide'")
    await client.query(INSERT_METRIC, ['2026-04-03 09:00', 101, 1, 'naive adelaide'])
    await client.query('BEGIN')
    await client.query("SET LOCAL TimeZone = 'Pacific/Chatham'")
    await client.query(INSERT_METRIC, ['2026-04-03 09:00', 102, 1, 'naive chatham'])
    await client.query('COMMIT')
    await client.query(INSERT_READING, reading(110))
  } finally {
    client.release()
  }
  await pool.end()
  return { metrics: 100 + 3 * 20 + 3, readings: 3 + 1 }
}

/**
 * Queries issued without awaiting each one: queued by the client (sent one at a time; pg 8 warns that this is
 * deprecated) and in pipeline mode (all written before the first answer, each with its own Sync).
 */
async function queuedScenario() {
  let metrics = 0
  for (const pipelined of [false, true]) {
    const client = await connect({ pipeline: pipelined })
    const offset = pipelined ? 1000 : 0
    const committed = [client.query('BEGIN')]
    for (const n of range(400 + offset, 450 + offset)) {
      committed.push(client.query(INSERT_METRIC, metric(n)))
    }
    committed.push(client.query('COMMIT'))
    await Promise.all(committed)
    metrics += 50
    // a failure in the middle: the rest of the transaction fails and its COMMIT is a rollback
    const failed = await Promise.allSettled([
      client.query('BEGIN'),
      client.query(INSERT_METRIC, metric(450 + offset)),
      client.query(INSERT_METRIC, metric(400 + offset)),
      client.query({ name: 'queued-insert', text: INSERT_METRIC, values: metric(451 + offset) }),
      client.query('COMMIT'),
    ])
    assert.equal(failed[2].reason.code, '23505')
    assert.equal(failed[3].reason.code, '25P02')
    assert.equal(failed[4].value.command, 'ROLLBACK')
    // without a transaction each query is its own: only the duplicate fails
    const autocommit = await Promise.allSettled([
      client.query(INSERT_METRIC, metric(460 + offset)),
      client.query({ name: 'queued-insert', text: INSERT_METRIC, values: metric(461 + offset) }),
      client.query(INSERT_METRIC, metric(400 + offset)),
      client.query({ name: 'queued-insert', text: INSERT_METRIC, values: metric(462 + offset) }),
      client.query("INSERT INTO metrics VALUES ('2026-04-04 00:00:00+00', $1, 1, 'simple after extended')", [
        offset + 1,
      ]),
    ])
    assert.deepEqual(
      autocommit.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    )
    metrics += 4
    await client.end()
  }
  return { metrics, readings: 0 }
}

/** pg-copy-streams: COPY FROM STDIN in text and csv, committed, rolled back, failed by the server and by the client. */
async function copyScenario() {
  const client = await connect({ options: '-c TimeZone=Asia/Tokyo' })
  const copy = (sql, lines) => pipeline(Readable.from(lines), client.query(copyFrom(sql)))
  const text = range(500, 700).map((n) => `${at(n).toISOString()}\t${n % 7}\t${n * 0.5}\tcopy\\t${n} é\n`)
  await copy('COPY metrics FROM STDIN', text)
  // local times without an offset, in the session's zone (Tokyo); quoted fields with commas and quotes
  const two = (k) => String(k).padStart(2, '0')
  const csv = range(700, 800).map((n) => `2026-04-05 ${two(n % 24)}:${two(n % 60)}:00,${n % 7},${n},"c,""${n}"""\n`)
  await client.query('BEGIN')
  await copy('COPY metrics (t, device, v, note) FROM STDIN WITH (FORMAT csv)', csv)
  await client.query(INSERT_METRIC, metric(800))
  await client.query('COMMIT')
  // one CopyData message per chunk the stream writes: here whole buffers of many rows, not one row each
  const readings = range(200, 300).map((n) => {
    const r = reading(n)
    return `${n}\t${r[1].toISOString()}\t{a${n},NULL,"b,c"}\t{"n": ${n}}\t\\\\x${r[7].toString('hex')}\n`
  })
  await copy('COPY readings (id, t, tags, payload, raw) FROM STDIN', [Buffer.from(readings.join(''))])
  await client.query('BEGIN')
  await copy('COPY metrics FROM STDIN', [`${at(900).toISOString()}\t1\t1\tgone\n`])
  await client.query('ROLLBACK')
  // the server rejects a row: the COPY fails and nothing of it stays
  await assert.rejects(
    copy('COPY metrics FROM STDIN', [`${at(901).toISOString()}\t1\t1\tfine\n`, 'not a time\t1\t1\tbad\n']),
    { code: '22007' },
  )
  // the client gives up: destroying the COPY stream sends CopyFail
  const failing = new Readable({
    read() {
      this.push(`${at(902).toISOString()}\t1\t1\tabandoned\n`)
      this.destroy(new Error('the application gave up'))
    },
  })
  await assert.rejects(pipeline(failing, client.query(copyFrom('COPY metrics FROM STDIN'))), /gave up/)
  assert.equal((await client.query("SELECT 'still usable' AS s")).rows[0].s, 'still usable')
  await client.end()
  return { metrics: 200 + 100 + 1, readings: 100 }
}

/** A connected client whose connection may end under it: its 'end' event, and its errors taken as expected. */
async function doomed(extra = {}) {
  const client = await connect(extra)
  const errors = []
  client.on('error', (e) => errors.push(e)) // the lost connection is the point; unheard, it would end the process
  const ended = new Promise((resolve) => client.once('end', resolve))
  return { client, errors, ended }
}

/**
 * Sessions that end inside a transaction: a socket destroyed (after INSERTs, in the middle of a COPY, after a COPY),
 * a Pool client released as broken, a client ended with a transaction open, a session the server ends for idling in
 * its transaction. The source rolls each back; none of it may reach the target.
 */
async function destroyedScenario() {
  const inserted = await doomed()
  await inserted.client.query('BEGIN')
  for (const n of range(1100, 1110)) {
    await inserted.client.query(INSERT_METRIC, metric(n))
  }
  await inserted.client.query(INSERT_READING, reading(500))
  inserted.client.connection.stream.destroy()
  await inserted.ended

  // destroyed once the first rows of an autocommit COPY were sent: its write callback runs when they were
  const copying = await doomed()
  const stream = copying.client.query(copyFrom('COPY metrics FROM STDIN'))
  stream.on('error', () => {}) // the COPY fails with the connection
  await new Promise((resolve) => stream.write(`${at(1120).toISOString()}\t1\t1\tcopy cut off\n`, resolve))
  copying.client.connection.stream.destroy()
  await copying.ended

  const copied = await doomed()
  await copied.client.query('BEGIN')
  await pipeline(Readable.from([`${at(1121).toISOString()}\t1\t1\tcopied, not committed\n`]),
    copied.client.query(copyFrom('COPY metrics FROM STDIN')))
  copied.client.connection.stream.destroy()
  await copied.ended

  const pool = new pg.Pool({ ...CONNECTION, max: 1 })
  const pooled = await pool.connect()
  await pooled.query('BEGIN')
  await pooled.query({ name: 'doomed', text: INSERT_METRIC, values: metric(1130) })
  pooled.release(new Error('give this client up'))
  // the pool's next client is a new session: it commits
  await pool.query(INSERT_METRIC, metric(1131))
  await pool.end()

  const ended = await connect()
  await ended.query('BEGIN')
  await ended.query(INSERT_METRIC, metric(1132))
  await ended.end()

  // node-postgres sends idle_in_transaction_session_timeout at start-up; the server ends the idle session with 25P03
  const idle = await doomed({ idle_in_transaction_session_timeout: 200 })
  await idle.client.query('BEGIN')
  await idle.client.query(INSERT_METRIC, metric(1133))
  await idle.ended
  assert.equal(idle.errors[0]?.code, '25P03')
  return { metrics: 1, readings: 0 }
}

const SCENARIOS = {
  client: clientScenario,
  pool: poolScenario,
  queued: queuedScenario,
  copy: copyScenario,
  destroyed: destroyedScenario,
}

SCENARIOS[SCENARIO]().then(
  (committed) => console.log(JSON.stringify(committed)),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
