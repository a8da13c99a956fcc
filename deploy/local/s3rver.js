#!/usr/bin/env node
// deploy/local/s3rver.js: run s3rver (an S3 emulator) for the local stack.
//
// Usage: node s3rver.js --directory DIR [--address 127.0.0.1] [--port N]
//                       [--check-clock] [--no-extras]
//
// Why a wrapper rather than s3rver's own CLI: the CLI cannot make s3rver
//  - accept any access key: s3rver knows one key pair (S3RVER/S3RVER) and
//    answers InvalidAccessKeyId to every other key, while the stack hands out
//    its own fake key (and tests use several);
//  - ignore the clock: s3rver refuses header-signed requests whose date is
//    more than 15 minutes from now and presigned URLs past their expiry, but
//    the test suite pins the clock (CSC_NOW) so that signatures are
//    reproducible.  s3rver never checks SigV4 signatures themselves; the
//    signature-checking proxy (tests/servers/sigproxy.py) does that.
// --check-clock keeps s3rver's own clock checks.
//
// It also adds what csc needs and s3rver lacks (bucket versioning,
// encryption, public access block and lifecycle configurations, object
// versions, checksums): see s3-extras.js.  --no-extras leaves s3rver as it
// is.
'use strict';

const path = require('path');

function usage(status) {
  const text =
    'Usage: node s3rver.js --directory DIR [--address ADDR] [--port N] [--check-clock]\n' +
    '                      [--no-extras]\n' +
    '  --directory DIR  where buckets and objects are kept (created if missing)\n' +
    '  --address ADDR   address to listen on (default 127.0.0.1)\n' +
    '  --port N         port to listen on; 0 picks a free one (default 0)\n' +
    '  --check-clock    keep s3rver\'s request-time and presign-expiry checks\n' +
    '  --no-extras      no versioning, bucket configurations or checksums\n';
  (status === 0 ? process.stdout : process.stderr).write(text);
  process.exit(status);
}

function parseArgs(argv) {
  const opts = { address: '127.0.0.1', port: 0, directory: null, checkClock: false, extras: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(64);
      return argv[++i];
    };
    if (arg === '--help' || arg === '-h') usage(0);
    else if (arg === '--directory') opts.directory = value();
    else if (arg === '--address') opts.address = value();
    else if (arg === '--port') opts.port = Number(value());
    else if (arg === '--check-clock') opts.checkClock = true;
    else if (arg === '--no-extras') opts.extras = false;
    else usage(64);
  }
  if (!opts.directory || !Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    usage(64);
  }
  return opts;
}

// Every access key maps to s3rver's built-in account.  Replacing the static
// registry works because s3rver looks keys up at request time.  A key seen
// for the first time gets a placeholder secret so that s3rver's SigV2 check
// has one to compare with; the mismatch is then let through by
// allowMismatchedSignatures (SigV4 is never checked by s3rver).
function acceptAnyAccessKey() {
  const AWSAccount = require('s3rver/lib/models/account');
  const account = AWSAccount.DUMMY_ACCOUNT;
  class AnyKeyRegistry extends Map {
    get(accessKeyId) {
      if (!super.has(accessKeyId) && typeof accessKeyId === 'string') {
        account.createKeyPair(accessKeyId, 'not-checked-by-s3rver');
      }
      return super.get(accessKeyId);
    }
  }
  AWSAccount.registry = new AnyKeyRegistry(AWSAccount.registry);
}

// s3rver's authentication middleware takes its two date parsers from
// lib/utils when it is first required, and uses them only for the skew and
// expiry checks.  Making a valid date parse as "now" turns both checks off
// while still refusing a malformed date.  This must run before s3rver
// itself is required.
function ignoreClock() {
  const utils = require('s3rver/lib/utils');
  const parseISO = utils.parseISO8601String;
  const parseDate = utils.parseDate;
  utils.parseISO8601String = s => (isNaN(parseISO(s)) ? new Date(NaN) : new Date());
  utils.parseDate = s => (isNaN(parseDate(s)) ? new Date(NaN) : new Date());
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  acceptAnyAccessKey();
  if (!opts.checkClock) ignoreClock();
  const S3rver = require('s3rver');
  const fs = require('fs');
  fs.mkdirSync(opts.directory, { recursive: true });
  const server = new S3rver({
    address: opts.address,
    port: opts.port,
    directory: path.resolve(opts.directory),
    // Path-style only: the stack's endpoint is an IP address, and a
    // hostname that happens to look like a bucket must not become one.
    vhostBuckets: false,
    allowMismatchedSignatures: true,
    silent: false,
  });
  if (opts.extras) require('./s3-extras').install(server);
  const { address, port } = await server.run();
  console.log('S3rver listening on %s:%d', address, port);
  const stop = () => server.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
