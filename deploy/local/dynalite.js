#!/usr/bin/env node
// deploy/local/dynalite.js: run dynalite (a DynamoDB emulator) for the local
// stack, with UpdateTimeToLive added.
//
// Usage: node dynalite.js [--host 127.0.0.1] [--port N] [--path DIR]
//                         [--createTableMs MS] [--no-ttl]
//
// dynalite 4.0.0 answers UnknownOperationException to UpdateTimeToLive and
// always reports TTL as DISABLED, while csc-store sets the table's TTL
// attribute (expires_at).  This wrapper answers UpdateTimeToLive and
// DescribeTimeToLive itself, keeping each table's TTL setting in
// DIR.ttl.json (beside the LevelDB store, or in memory without --path).
// Expired items are not deleted: DynamoDB itself deletes them only within a
// few days, so nothing may rely on prompt expiry anyway.  Every other
// request goes to dynalite unchanged.  --no-ttl leaves dynalite as it is.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const dynalite = require('dynalite');

const TARGET_PREFIX = 'DynamoDB_20120810.';

function usage(status) {
  const text =
    'Usage: node dynalite.js [--host ADDR] [--port N] [--path DIR] [--createTableMs MS] [--no-ttl]\n' +
    '  --host ADDR          address to listen on (default 127.0.0.1)\n' +
    '  --port N             port to listen on; 0 picks a free one (default 0)\n' +
    '  --path DIR           LevelDB store (default: in memory)\n' +
    '  --createTableMs MS   how long a new table stays CREATING (default 500)\n' +
    '  --no-ttl             leave out the UpdateTimeToLive support\n';
  (status === 0 ? process.stdout : process.stderr).write(text);
  process.exit(status);
}

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: 0, path: undefined, ttl: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(64);
      return argv[++i];
    };
    if (arg === '--help' || arg === '-h') usage(0);
    else if (arg === '--host') opts.host = value();
    else if (arg === '--port') opts.port = Number(value());
    else if (arg === '--path') opts.path = value();
    else if (arg === '--createTableMs') opts.createTableMs = Number(value());
    else if (arg === '--no-ttl') opts.ttl = false;
    else usage(64);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) usage(64);
  return opts;
}

// ---------------------------------------------------------------------------
// Answers in DynamoDB's own shape (botocore checks x-amz-crc32 when present).

function crc32(buf) {
  let crc = ~0;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (~crc) >>> 0;
}

function send(res, status, data) {
  const body = Buffer.from(JSON.stringify(data));
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': body.length,
    'x-amzn-RequestId': crypto.randomBytes(26).toString('hex').toUpperCase().slice(0, 52),
    'x-amz-crc32': String(crc32(body)),
  });
  res.end(body);
}

function validation(res, message) {
  send(res, 400, { __type: 'com.amazon.coral.validate#ValidationException', message });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------
// TTL settings, per table and per table incarnation: a table deleted and
// created again starts with TTL disabled, as in DynamoDB.

class TtlStore {
  constructor(file) {
    this.file = file;
    this.data = {};
    if (file) {
      try {
        this.data = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        if (err.code !== 'ENOENT') throw err;
      }
    }
  }

  get(table, created) {
    const entry = this.data[table];
    return entry && entry.created === created ? entry : null;
  }

  set(table, created, attributeName, enabled) {
    this.data[table] = { created, attributeName, enabled };
    if (this.file) {
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2));
      fs.renameSync(tmp, this.file);
    }
  }
}

// Ask dynalite itself about a table: {status, body}.  dynalite wants an
// AWS4 Authorization header but never checks its signature.
function describeTable(port, tableName) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ TableName: tableName });
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': TARGET_PREFIX + 'DescribeTable',
        'X-Amz-Date': '20200101T000000Z',
        Authorization: 'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, ' +
          'SignedHeaders=host, Signature=0',
        'Content-Length': Buffer.byteLength(payload),
      },
    }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function tableOrAnswer(port, res, tableName) {
  if (typeof tableName !== 'string' || tableName.length < 3) {
    validation(res, '1 validation error detected: Value \'' + tableName + '\' at ' +
      '\'tableName\' failed to satisfy constraint: Member must have length greater than or equal to 3');
    return null;
  }
  const described = await describeTable(port, tableName);
  if (described.status !== 200) {
    send(res, described.status, described.body);
    return null;
  }
  return described.body.Table;
}

async function updateTimeToLive(ttl, port, req, res) {
  let input;
  try {
    input = JSON.parse(await readBody(req));
  } catch (err) {
    return send(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
  }
  const spec = input.TimeToLiveSpecification;
  if (!spec || typeof spec.AttributeName !== 'string' || !spec.AttributeName ||
      spec.AttributeName.length > 255 || typeof spec.Enabled !== 'boolean') {
    return validation(res, 'One or more parameter values were invalid: ' +
      'TimeToLiveSpecification needs AttributeName (1 to 255 characters) and Enabled');
  }
  const table = await tableOrAnswer(port, res, input.TableName);
  if (!table) return;
  const current = ttl.get(table.TableName, table.CreationDateTime);
  if (current && current.enabled === spec.Enabled) {
    return validation(res, `TimeToLive is already ${spec.Enabled ? 'enabled' : 'disabled'}`);
  }
  if (!current && !spec.Enabled) {
    return validation(res, 'TimeToLive is already disabled');
  }
  ttl.set(table.TableName, table.CreationDateTime, spec.AttributeName, spec.Enabled);
  send(res, 200, { TimeToLiveSpecification: spec });
}

async function describeTimeToLive(ttl, port, req, res) {
  let input;
  try {
    input = JSON.parse(await readBody(req));
  } catch (err) {
    return send(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
  }
  const table = await tableOrAnswer(port, res, input.TableName);
  if (!table) return;
  const current = ttl.get(table.TableName, table.CreationDateTime);
  const description = current && current.enabled
    ? { TimeToLiveStatus: 'ENABLED', AttributeName: current.attributeName }
    : { TimeToLiveStatus: 'DISABLED' };
  send(res, 200, { TimeToLiveDescription: description });
}

// The TTL operations are answered here, after the same authentication
// check dynalite makes (a request without AWS4 credentials is refused).
function withTtl(server, ttl) {
  const [dynaliteHandler] = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const target = req.headers['x-amz-target'] || '';
    const auth = req.headers.authorization || '';
    const handler = {
      [TARGET_PREFIX + 'UpdateTimeToLive']: updateTimeToLive,
      [TARGET_PREFIX + 'DescribeTimeToLive']: describeTimeToLive,
    }[target];
    if (!handler || req.method !== 'POST' || !auth.startsWith('AWS4-')) {
      return dynaliteHandler(req, res);
    }
    handler(ttl, server.address().port, req, res).catch(err => {
      console.error(err);
      send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: 'Internal server error' });
    });
  });
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const options = { path: opts.path };
  if (opts.createTableMs !== undefined) options.createTableMs = opts.createTableMs;
  const server = dynalite(options);
  if (opts.ttl) withTtl(server, new TtlStore(opts.path ? `${opts.path}.ttl.json` : null));
  server.listen(opts.port, opts.host, () => {
    console.log('Dynalite listening at: http://%s:%d', opts.host, server.address().port);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
