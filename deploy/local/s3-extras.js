// deploy/local/s3-extras.js: the parts of S3 that csc uses and s3rver 3.7.1
// lacks, added to a running s3rver as one Koa middleware.
//
// s3rver answers NotImplemented to PutBucketEncryption, PutPublicAccessBlock
// and PutBucketLifecycleConfiguration, takes PutBucketVersioning for a
// CreateBucket (BucketAlreadyExists), has no object versions, ignores
// x-amz-checksum-* headers, and its DeleteObjects ignores VersionId and
// Content-MD5.  csc-store creates its bucket versioned, encrypted, private
// and with a lifecycle rule, records each object's version id, uploads with
// SHA-256 checksums, and deletes a service by removing every version of
// every object with DeleteObjects, so the local stack needs:
//
//  - bucket configurations: PUT/GET/DELETE ?versioning (PUT/GET only),
//    ?encryption, ?publicAccessBlock, ?lifecycle, stored beside the bucket
//    and answered as S3 does (a new bucket reads as SSE-S3 encrypted and
//    fully public-access-blocked, as AWS buckets are since 2023; lifecycle
//    rules are stored, never enforced);
//  - object versions while versioning is Enabled: PutObject, CopyObject and
//    CompleteMultipartUpload return x-amz-version-id; an overwritten or
//    deleted object stays readable by ?versionId; DeleteObject leaves a
//    delete marker; DeleteObject ?versionId removes one version (the newest
//    remaining one becomes current again); ListObjectVersions (?versions)
//    lists them all;
//  - DeleteObjects (POST ?delete), as S3 does it: Content-MD5 or an
//    x-amz-checksum-* header required and checked, the <Delete> body read
//    with an XML parser (MalformedXML; at most 1000 objects), each
//    <Object> deleted as DeleteObject would (with <VersionId>: that version
//    or delete marker, a version that does not exist counting as deleted;
//    without: a delete marker while versioning is Enabled), answered with
//    <Deleted> (not in <Quiet> mode) and <Error> entries;
//  - checksums on PutObject: x-amz-checksum-crc32, -crc32c, -sha1, -sha256
//    are checked against the body (400 BadDigest on a mismatch), stored,
//    echoed in the answer, and returned by GET/HEAD with
//    x-amz-checksum-mode: ENABLED;
//  - x-amz-server-side-encryption: AES256 on object answers, as AWS's
//    default encryption does;
//  - conditional writes on PutObject, CopyObject and CompleteMultipartUpload:
//    If-None-Match: * (412 PreconditionFailed when the key has a current
//    version) and If-Match: ETAG (412 when the ETag differs, 404 NoSuchKey
//    without a current version), checked and written as one step per key,
//    so that of concurrent conditional writes exactly one wins (the others
//    get 412, never S3's 409 ConditionalRequestConflict); another
//    If-None-Match value, or both headers, is NotImplemented.
//
// Not covered: ranges of old versions, checksums of multipart uploads,
// aws-chunked bodies, Suspended versioning beyond "no new version ids",
// DeleteObjects' conditional deletes (<ETag>, <LastModifiedTime>, <Size>:
// NotImplemented), deleting keys with an empty, "." or ".." segment before
// the last (s3rver would remove the wrong files: NotImplemented), and
// s3rver's event notifications for deletions (the stack configures none).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const xmlParser = require('fast-xml-parser'); // s3rver's own XML parser
const S3Error = require('s3rver/lib/models/error');
const S3Object = require('s3rver/lib/models/object');
const AWSAccount = require('s3rver/lib/models/account');

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const PREFIX = '._S3rver_csc-'; // s3rver's own listing skips such files
const VERSIONS_DIR = PREFIX + 'versions';
const VERSION_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SSE_HEADER = 'x-amz-server-side-encryption';

// Object operations are told apart from the sub-resources s3rver routes by
// their query parameters.
const OBJECT_SUBRESOURCES = new Set([
  'acl', 'legal-hold', 'retention', 'tagging', 'torrent', 'uploads',
  'uploadId', 'partNumber', 'select', 'restore', 'attributes',
]);
const BUCKET_CONFIGS = new Set([
  'versioning', 'encryption', 'publicAccessBlock', 'lifecycle',
]);
const MAX_DELETE_OBJECTS = 1000;

// ---------------------------------------------------------------------------
// Checksums, base64 of the big-endian digest, as S3 sends them.

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(buf) {
  let crc = 0xffffffff;
  for (const byte of buf) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function uint32(value) {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

const CHECKSUMS = {
  crc32: buf => uint32(zlib.crc32(buf)),
  crc32c: buf => uint32(crc32c(buf)),
  sha1: buf => crypto.createHash('sha1').update(buf).digest('base64'),
  sha256: buf => crypto.createHash('sha256').update(buf).digest('base64'),
};
const CHECKSUM_HEADERS = Object.keys(CHECKSUMS).map(a => `x-amz-checksum-${a}`);
// x-amz-checksum-* headers that carry no checksum of the body.
const NOT_CHECKSUMS = new Set([
  'x-amz-checksum-mode', 'x-amz-checksum-type', 'x-amz-checksum-algorithm',
]);

// ---------------------------------------------------------------------------
// Small helpers.

// Tab, newline and carriage return as references too: a parser reads a raw
// carriage return as a newline.
function xmlEscape(s) {
  return String(s).replace(/[<>&'"\t\n\r]/g, c => ({
    '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;',
    '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
  })[c]);
}

function xmlAnswer(ctx, xml) {
  ctx.status = 200;
  ctx.type = 'application/xml';
  ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n' + xml;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function rootElement(xml) {
  const m = /^\s*(?:<\?xml[^>]*\?>)?\s*<([A-Za-z]+)[\s/>]/.exec(xml);
  return m ? m[1] : null;
}

function malformedXML() {
  return new S3Error('MalformedXML', 'The XML you provided was not ' +
    'well-formed or did not validate against our published schema');
}

function errorWithStatus(code, message, status, detail) {
  const err = new S3Error(code, message, detail);
  err.status = status;
  err.expose = true;
  return err;
}

function readFileOrNull(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

function newVersionId() {
  return crypto.randomBytes(24).toString('base64url');
}

// Without the query parameter NAME, so that s3rver sees a plain request.
function dropQuery(ctx, name) {
  const params = new URLSearchParams(ctx.querystring);
  params.delete(name);
  ctx.querystring = params.toString();
}

let sequence = 0;

// ---------------------------------------------------------------------------
// Where things live: beside s3rver's own files in the bucket's directory.

class Extras {
  constructor(store) {
    this.store = store;
  }

  configFile(bucket, name) {
    return path.join(this.store.getBucketPath(bucket), PREFIX + name);
  }

  versionsDir(bucket) {
    return path.join(this.store.getBucketPath(bucket), VERSIONS_DIR);
  }

  versioning(bucket) {
    const status = readFileOrNull(this.configFile(bucket, 'versioning'));
    return status ? status.trim() : null;
  }

  async requireBucket(bucket) {
    if (!(await this.store.getBucket(bucket))) {
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist',
        { BucketName: bucket });
    }
  }

  // -- archived versions: VERSIONS_DIR/ID.json (+ ID.data unless a marker) --

  listArchived(bucket, keyFilter) {
    let names;
    try {
      names = fs.readdirSync(this.versionsDir(bucket));
    } catch (err) {
      if (err.code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter(n => n.endsWith('.json'))
      .map(n => JSON.parse(fs.readFileSync(path.join(this.versionsDir(bucket), n), 'utf8')))
      .filter(v => keyFilter(v.key));
  }

  archivedVersion(bucket, key, versionId) {
    const text = readFileOrNull(path.join(this.versionsDir(bucket), `${versionId}.json`));
    if (text === null) return null;
    const version = JSON.parse(text);
    return version.key === key ? version : null;
  }

  writeArchived(bucket, version, dataFrom) {
    const dir = this.versionsDir(bucket);
    fs.mkdirSync(dir, { recursive: true });
    if (dataFrom) fs.copyFileSync(dataFrom, path.join(dir, `${version.versionId}.data`));
    fs.writeFileSync(path.join(dir, `${version.versionId}.json`), JSON.stringify(version));
  }

  removeArchived(bucket, versionId) {
    for (const ext of ['.json', '.data']) {
      fs.rmSync(path.join(this.versionsDir(bucket), versionId + ext), { force: true });
    }
  }

  // The current object as a version record, or null.
  async currentVersion(bucket, key) {
    let metadata;
    try {
      metadata = await this.store.getMetadata(bucket, key);
    } catch (err) {
      if (err.code === 'ENOENT') return null;
      throw err;
    }
    return {
      key,
      versionId: metadata['x-amz-version-id'] || 'null',
      metadata,
      lastModified: new Date(metadata['last-modified']).toISOString(),
      seq: 0,
    };
  }

  // Keep the current object as a noncurrent version before it goes.
  async archiveCurrent(bucket, key) {
    const current = await this.currentVersion(bucket, key);
    if (!current) return;
    current.seq = Date.now() * 1000 + (sequence++ % 1000);
    this.writeArchived(bucket, current, this.store.getResourcePath(bucket, key, 'object'));
  }

  // After the current version was deleted, the newest remaining version
  // becomes current, unless that is a delete marker.
  async promoteNewest(bucket, key) {
    const versions = this.listArchived(bucket, k => k === key)
      .sort((a, b) => b.seq - a.seq);
    const newest = versions[0];
    if (!newest || newest.deleteMarker) return;
    const data = fs.readFileSync(path.join(this.versionsDir(bucket), `${newest.versionId}.data`));
    const metadata = { ...newest.metadata, 'x-amz-version-id': newest.versionId };
    await this.store.putObject(new S3Object(bucket, key, data, metadata));
    this.removeArchived(bucket, newest.versionId);
  }

  // s3rver's store fails on a key under a directory that does not exist.
  async removeCurrent(bucket, key) {
    if (await this.store.existsObject(bucket, key)) await this.store.deleteObject(bucket, key);
  }

  // DeleteObject, and each <Object> of DeleteObjects.  With VERSIONID (a
  // valid one): remove that version or delete marker; the current version
  // gives way to the newest remaining one, and so does a delete marker in
  // front; a version that does not exist is no error, as in S3.  Without:
  // leave a delete marker while versioning is Enabled, else delete the
  // object.  Returns { deleteMarker, deleteMarkerVersionId } when a delete
  // marker was removed or added.
  async deleteObject(bucket, key, versionId) {
    // s3rver keeps "a//b" as "a/b" and "a/../b" as "b": refuse rather than
    // remove another key's files.
    if (key.split('/').slice(0, -1).some(s => s === '' || s === '.' || s === '..')) {
      throw errorWithStatus('NotImplemented', 'Keys with an empty, "." or ".." ' +
        'segment are not supported by the local S3 emulator', 501, {});
    }
    if (versionId !== undefined) {
      const current = await this.currentVersion(bucket, key);
      if (current && current.versionId === versionId) {
        await this.removeCurrent(bucket, key);
        await this.promoteNewest(bucket, key);
        return {};
      }
      const version = this.archivedVersion(bucket, key, versionId);
      if (!version) return {};
      this.removeArchived(bucket, versionId);
      // Removing the delete marker in front brings the object back.
      if (!current) await this.promoteNewest(bucket, key);
      return version.deleteMarker
        ? { deleteMarker: true, deleteMarkerVersionId: versionId } : {};
    }
    if (this.versioning(bucket) !== 'Enabled') {
      await this.removeCurrent(bucket, key);
      return {};
    }
    await this.archiveCurrent(bucket, key);
    await this.removeCurrent(bucket, key);
    const marker = {
      key, versionId: newVersionId(), deleteMarker: true,
      lastModified: new Date().toISOString(),
      seq: Date.now() * 1000 + (sequence++ % 1000),
    };
    this.writeArchived(bucket, marker, null);
    return { deleteMarker: true, deleteMarkerVersionId: marker.versionId };
  }

  // Record the version id of what was just written (CopyObject copies the
  // source's metadata, so it is set here rather than from the request).
  async setVersionId(bucket, key, versionId) {
    const file = this.store.getResourcePath(bucket, key, 'metadata.json');
    const metadata = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (versionId) metadata['x-amz-version-id'] = versionId;
    else delete metadata['x-amz-version-id'];
    fs.writeFileSync(file, JSON.stringify(metadata, null, 2));
  }
}

// ---------------------------------------------------------------------------
// Bucket configurations.

const DEFAULT_ENCRYPTION =
  `<ServerSideEncryptionConfiguration xmlns="${NS}"><Rule>` +
  '<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>' +
  '</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled>' +
  '</Rule></ServerSideEncryptionConfiguration>';
const DEFAULT_PUBLIC_ACCESS_BLOCK =
  `<PublicAccessBlockConfiguration xmlns="${NS}">` +
  '<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>' +
  '<BlockPublicPolicy>true</BlockPublicPolicy>' +
  '<RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>';

async function bucketConfig(x, ctx, bucket, name) {
  await x.requireBucket(bucket);
  const file = x.configFile(bucket, name);
  const method = ctx.method;
  if (method === 'PUT') {
    const xml = (await readBody(ctx.req)).toString('utf8');
    if (name === 'versioning') {
      const m = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(xml);
      if (rootElement(xml) !== 'VersioningConfiguration' || !m) throw malformedXML();
      fs.writeFileSync(file, m[1]);
    } else {
      const roots = {
        encryption: 'ServerSideEncryptionConfiguration',
        publicAccessBlock: 'PublicAccessBlockConfiguration',
        lifecycle: 'LifecycleConfiguration',
      };
      if (rootElement(xml) !== roots[name]) throw malformedXML();
      if (name === 'lifecycle' && !/<Rule>/.test(xml)) throw malformedXML();
      if (name === 'encryption' &&
          !/<SSEAlgorithm>\s*(AES256|aws:kms|aws:kms:dsse)\s*<\/SSEAlgorithm>/.test(xml)) {
        throw malformedXML();
      }
      fs.writeFileSync(file, xml);
      fs.rmSync(file + '.deleted', { force: true });
    }
    ctx.status = 200;
    ctx.body = '';
    return;
  }
  if (method === 'DELETE' && name !== 'versioning') {
    fs.rmSync(file, { force: true });
    if (name === 'publicAccessBlock') fs.writeFileSync(file + '.deleted', '');
    ctx.status = 204;
    return;
  }
  if (method !== 'GET') {
    throw new S3Error('MethodNotAllowed',
      'The specified method is not allowed against this resource.');
  }
  const stored = readFileOrNull(file);
  if (name === 'versioning') {
    return xmlAnswer(ctx, stored
      ? `<VersioningConfiguration xmlns="${NS}"><Status>${stored.trim()}</Status></VersioningConfiguration>`
      : `<VersioningConfiguration xmlns="${NS}"/>`);
  }
  if (stored) return xmlAnswer(ctx, stored.replace(/^\s*<\?xml[^>]*\?>\s*/, ''));
  if (name === 'encryption') return xmlAnswer(ctx, DEFAULT_ENCRYPTION);
  if (name === 'publicAccessBlock') {
    if (readFileOrNull(file + '.deleted') === null) {
      return xmlAnswer(ctx, DEFAULT_PUBLIC_ACCESS_BLOCK);
    }
    throw errorWithStatus('NoSuchPublicAccessBlockConfiguration',
      'The public access block configuration was not found', 404, { BucketName: bucket });
  }
  throw new S3Error('NoSuchLifecycleConfiguration',
    'The lifecycle configuration does not exist', { BucketName: bucket });
}

// ---------------------------------------------------------------------------
// ListObjectVersions.

function owner() {
  const a = AWSAccount.DUMMY_ACCOUNT;
  return `<Owner><ID>${a.id}</ID><DisplayName>${xmlEscape(a.displayName)}</DisplayName></Owner>`;
}

async function listVersions(x, ctx, bucket) {
  await x.requireBucket(bucket);
  const q = ctx.query;
  const prefix = q.prefix || '';
  const keyMarker = q['key-marker'] || '';
  const versionMarker = q['version-id-marker'] || '';
  const maxKeys = Math.min(Number(q['max-keys'] || 1000), 1000);
  const urlEncode = q['encoding-type'] === 'url';
  const enc = s => xmlEscape(urlEncode ? encodeURIComponent(s) : s);

  const { objects } = await x.store.listObjects(bucket, { prefix });
  const entries = objects.map(o => ({
    key: o.key,
    versionId: o.metadata['x-amz-version-id'] || 'null',
    metadata: o.metadata,
    lastModified: new Date(o.metadata['last-modified']).toISOString(),
    seq: Number.MAX_SAFE_INTEGER,
    isLatest: true,
  }));
  const archived = x.listArchived(bucket, k => k.startsWith(prefix));
  const current = new Set(entries.map(e => e.key));
  const newestOf = {};
  for (const v of archived) {
    if (!newestOf[v.key] || v.seq > newestOf[v.key].seq) newestOf[v.key] = v;
  }
  for (const v of archived) {
    entries.push({ ...v, isLatest: !current.has(v.key) && newestOf[v.key] === v });
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.seq - a.seq));

  let start = 0;
  if (keyMarker) {
    start = entries.findIndex(e => (versionMarker
      ? e.key > keyMarker
      : e.key > keyMarker));
    if (versionMarker) {
      const at = entries.findIndex(e => e.key === keyMarker && e.versionId === versionMarker);
      if (at !== -1) start = at + 1;
    }
    if (start === -1) start = entries.length;
  }
  const page = entries.slice(start, start + maxKeys);
  const truncated = start + maxKeys < entries.length;

  const parts = [
    `<Name>${xmlEscape(bucket)}</Name>`,
    `<Prefix>${enc(prefix)}</Prefix>`,
    `<KeyMarker>${enc(keyMarker)}</KeyMarker>`,
    `<VersionIdMarker>${xmlEscape(versionMarker)}</VersionIdMarker>`,
    `<MaxKeys>${maxKeys}</MaxKeys>`,
  ];
  if (urlEncode) parts.push('<EncodingType>url</EncodingType>');
  parts.push(`<IsTruncated>${truncated}</IsTruncated>`);
  if (truncated) {
    const last = page[page.length - 1];
    parts.push(`<NextKeyMarker>${enc(last.key)}</NextKeyMarker>`,
      `<NextVersionIdMarker>${xmlEscape(last.versionId)}</NextVersionIdMarker>`);
  }
  for (const e of page) {
    const common = `<Key>${enc(e.key)}</Key><VersionId>${xmlEscape(e.versionId)}</VersionId>` +
      `<IsLatest>${e.isLatest}</IsLatest><LastModified>${e.lastModified}</LastModified>`;
    if (e.deleteMarker) {
      parts.push(`<DeleteMarker>${common}${owner()}</DeleteMarker>`);
    } else {
      const size = e.metadata['content-length'];
      parts.push(`<Version>${common}<ETag>${xmlEscape(e.metadata.etag)}</ETag>` +
        `<Size>${size}</Size><StorageClass>STANDARD</StorageClass>${owner()}</Version>`);
    }
  }
  xmlAnswer(ctx, `<ListVersionsResult xmlns="${NS}">${parts.join('')}</ListVersionsResult>`);
}

// ---------------------------------------------------------------------------
// Objects.

// The x-amz-checksum-* headers of a request, refused (NotImplemented) when
// of an algorithm the emulator does not compute.
function checksumHeaders(ctx) {
  const sent = Object.keys(ctx.headers).filter(h => h.startsWith('x-amz-checksum-') &&
    !NOT_CHECKSUMS.has(h));
  const unsupported = sent.filter(h => !CHECKSUM_HEADERS.includes(h));
  if (unsupported.length) {
    throw errorWithStatus('NotImplemented', `${unsupported.join(', ')} is not ` +
      'supported by the local S3 emulator', 501, {});
  }
  return sent;
}

// Check BODY against the checksum HEADERS: InvalidRequest when a value is
// not a checksum of its algorithm at all, BadDigest when it is the wrong one.
function verifyChecksums(ctx, headers, body) {
  for (const header of headers) {
    const algorithm = header.slice('x-amz-checksum-'.length);
    const sent = ctx.headers[header];
    const computed = CHECKSUMS[algorithm](body);
    const decoded = Buffer.from(sent, 'base64');
    if (decoded.toString('base64') !== sent ||
        decoded.length !== Buffer.from(computed, 'base64').length) {
      throw new S3Error('InvalidRequest', `Value for ${header} header is invalid.`);
    }
    if (computed !== sent) {
      throw new S3Error('BadDigest', `The ${algorithm.toUpperCase()} you specified ` +
        'did not match the calculated checksum.');
    }
  }
}

// Check a PutObject body against the x-amz-checksum-* headers sent with it,
// and hand the body on to s3rver's store (see install()).
async function checkChecksums(ctx) {
  const sent = checksumHeaders(ctx);
  if (sent.length === 0) return [];
  const body = await readBody(ctx.req);
  verifyChecksums(ctx, sent, body);
  ctx.req.cscBody = body;
  return sent;
}

function decorateObjectAnswer(ctx) {
  if (ctx.status >= 300 && ctx.status !== 304) return;
  if (ctx.headers['x-amz-checksum-mode'] !== 'ENABLED') {
    for (const header of CHECKSUM_HEADERS) ctx.remove(header);
  }
  ctx.set(SSE_HEADER, 'AES256');
}

// GET/HEAD ?versionId of a version that is no longer current.
function serveArchived(x, ctx, bucket, version) {
  if (version.deleteMarker) {
    const err = new S3Error('MethodNotAllowed',
      'The specified method is not allowed against this resource.');
    err.headers['x-amz-delete-marker'] = 'true';
    throw err;
  }
  const file = path.join(x.versionsDir(bucket), `${version.versionId}.data`);
  const size = Number(version.metadata['content-length']);
  ctx.status = 200;
  ctx.body = ctx.method === 'HEAD' ? '' : fs.createReadStream(file);
  ctx.length = size;
  for (const [name, value] of Object.entries(version.metadata)) {
    if (name !== 'content-length') ctx.set(name, String(value));
  }
  ctx.set('x-amz-version-id', version.versionId);
  ctx.set('Accept-Ranges', 'bytes');
  decorateObjectAnswer(ctx);
}

// Writes to one key, one at a time (PutObject, CopyObject,
// CompleteMultipartUpload, DeleteObject): a conditional write's check and
// the write itself are then one step, so of concurrent If-None-Match: *
// writes exactly one succeeds and the others see its object (412), where
// S3 may also answer 409 ConditionalRequestConflict to one still in flight.
// A write whose client stalls holds up the next ones to its key.
const keyLocks = new Map();

async function withKeyLock(bucket, key, fn) {
  const name = `${bucket}/${key}`;
  const before = keyLocks.get(name) || Promise.resolve();
  let release;
  const mine = new Promise(resolve => { release = resolve; });
  const tail = before.then(() => mine);
  keyLocks.set(name, tail);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (keyLocks.get(name) === tail) keyLocks.delete(name);
  }
}

function preconditionFailed(header) {
  return new S3Error('PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold', { Condition: header });
}

// An entity tag without its quotes (or weak-tag prefix), as clients send it
// either way.
function bareEtag(tag) {
  return tag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

// The conditional-write headers of a PutObject, CopyObject or
// CompleteMultipartUpload against the current object, as S3 checks them:
// If-None-Match: * fails with 412 PreconditionFailed when the key has a
// current version (a delete marker is none); If-Match: ETAG (a list, or *)
// fails with 412 when the current version's ETag is another and with 404
// NoSuchKey when there is no current version.  Any other If-None-Match, or
// both headers at once, is NotImplemented (501), as in S3.
async function checkWriteConditions(x, ctx, bucket, key) {
  const noneMatch = ctx.headers['if-none-match'];
  const match = ctx.headers['if-match'];
  if (noneMatch === undefined && match === undefined) return;
  if (noneMatch !== undefined && (match !== undefined || noneMatch.trim() !== '*')) {
    throw errorWithStatus('NotImplemented', 'A header you provided implies ' +
      'functionality that is not implemented', 501, { Header: 'If-None-Match' });
  }
  const current = await x.currentVersion(bucket, key);
  if (noneMatch !== undefined) {
    if (current) throw preconditionFailed('If-None-Match');
    return;
  }
  if (!current) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  const etag = bareEtag(String(current.metadata.etag));
  if (!match.split(',').some(tag => tag.trim() === '*' || bareEtag(tag) === etag)) {
    throw preconditionFailed('If-Match');
  }
}

async function objectRequest(x, ctx, next, bucket, key) {
  const method = ctx.method;
  const versionId = ctx.query.versionId;
  if (versionId !== undefined && !VERSION_ID.test(versionId)) {
    throw new S3Error('InvalidArgument', 'Invalid version id specified',
      { ArgumentName: 'versionId', ArgumentValue: versionId });
  }
  // A client cannot choose a version id.
  delete ctx.req.headers['x-amz-version-id'];

  if (method === 'GET' || method === 'HEAD') {
    if (versionId !== undefined) {
      const current = await x.currentVersion(bucket, key);
      if (!current || current.versionId !== versionId) {
        const version = x.archivedVersion(bucket, key, versionId);
        if (!version) {
          throw new S3Error('NoSuchVersion', 'The specified version does not exist.',
            { Key: key, VersionId: versionId });
        }
        return serveArchived(x, ctx, bucket, version);
      }
      dropQuery(ctx, 'versionId');
    }
    await next();
    return decorateObjectAnswer(ctx);
  }

  if (method === 'PUT' || (method === 'POST' && 'uploadId' in ctx.query)) {
    return withKeyLock(bucket, key, async () => {
      await checkWriteConditions(x, ctx, bucket, key);
      const enabled = x.versioning(bucket) === 'Enabled';
      const isPlainPut = method === 'PUT' && !('x-amz-copy-source' in ctx.headers);
      const checksums = isPlainPut ? await checkChecksums(ctx) : [];
      if (enabled) await x.archiveCurrent(bucket, key);
      await next();
      if (ctx.status !== 200) return;
      const id = enabled ? newVersionId() : null;
      await x.setVersionId(bucket, key, id);
      if (id) ctx.set('x-amz-version-id', id);
      for (const header of checksums) ctx.set(header, ctx.headers[header]);
      ctx.set(SSE_HEADER, 'AES256');
    });
  }

  if (method === 'DELETE') {
    return withKeyLock(bucket, key, async () => {
      const deleted = await x.deleteObject(bucket, key, versionId);
      ctx.status = 204;
      if (deleted.deleteMarker) ctx.set('x-amz-delete-marker', 'true');
      const id = versionId !== undefined ? versionId : deleted.deleteMarkerVersionId;
      if (id) ctx.set('x-amz-version-id', id);
    });
  }
  return next();
}

// ---------------------------------------------------------------------------
// DeleteObjects: POST /BUCKET?delete with
//   <Delete><Object><Key>K</Key><VersionId>V</VersionId></Object>...
//   <Quiet>true</Quiet></Delete>

const CDATA = '#cdata';
const CDATA_AT = '\u0000'; // cannot occur in XML, so cannot be confused
const NOT_XML_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const XML_ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function isXmlChar(c) {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

// Character data with its references resolved: XML's five entities and
// character references, nothing else (a bare "&" is malformed).
function xmlUnescape(s) {
  return s.replace(/&(?:#x([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot|apos));|&/g,
    (m, hex, dec, name) => {
      if (name) return XML_ENTITIES[name];
      const code = hex ? parseInt(hex, 16) : dec ? parseInt(dec, 10) : -1;
      if (!isXmlChar(code)) throw malformedXML();
      return String.fromCodePoint(code);
    });
}

// The text of a fast-xml-parser node: its character data, with CDATA
// sections (kept as they are) where CDATA_AT marks them.
function nodeText(node) {
  const sections = ((node.child && node.child[CDATA]) || []).map(c => String(c.val));
  const pieces = String(node.val === undefined ? '' : node.val).split(CDATA_AT);
  if (pieces.length !== sections.length + 1) throw malformedXML();
  return pieces.map((p, i) => xmlUnescape(p) + (sections[i] || '')).join('');
}

// The child elements of NODE by name, checked against ALLOWED (name →
// [least, most] occurrences); no text beside them.
function childElements(node, allowed) {
  if (nodeText(node).trim() !== '') throw malformedXML();
  const children = {};
  for (const [name, nodes] of Object.entries(node.child || {})) {
    if (name === CDATA) continue;
    if (!allowed[name] || nodes.length > allowed[name][1]) throw malformedXML();
    children[name] = nodes;
  }
  for (const [name, [least]] of Object.entries(allowed)) {
    if ((children[name] || []).length < least) throw malformedXML();
  }
  return children;
}

// The text of a leaf element: no child elements.
function leafText(node) {
  if (Object.keys(node.child || {}).some(n => n !== CDATA)) throw malformedXML();
  return nodeText(node);
}

// The <Delete> document in BODY as { quiet, objects: [{ key, versionId }] };
// MalformedXML when it is not one.
function parseDelete(body) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch (err) {
    throw malformedXML();
  }
  // fast-xml-parser's validator lets text after the root element pass.
  if (NOT_XML_CHARS.test(text) || !/>\s*$/.test(text) ||
      xmlParser.validate(text) !== true) {
    throw malformedXML();
  }
  const doc = xmlParser.getTraversalObj(text, {
    ignoreAttributes: true, ignoreNameSpace: true, parseNodeValue: false,
    trimValues: false, cdataTagName: CDATA, cdataPositionChar: CDATA_AT,
  });
  const roots = Object.values(doc.child || {}).flat();
  if (roots.length !== 1 || roots[0].tagname !== 'Delete') throw malformedXML();
  const del = childElements(roots[0], { Object: [1, Infinity], Quiet: [0, 1] });
  if (del.Object.length > MAX_DELETE_OBJECTS) throw malformedXML();
  let quiet = false;
  if (del.Quiet) {
    const value = leafText(del.Quiet[0]).trim().toLowerCase();
    if (value !== 'true' && value !== 'false') throw malformedXML();
    quiet = value === 'true';
  }
  const objects = del.Object.map(node => {
    const o = childElements(node, {
      Key: [1, 1], VersionId: [0, 1], ETag: [0, 1], LastModifiedTime: [0, 1], Size: [0, 1],
    });
    if (o.ETag || o.LastModifiedTime || o.Size) {
      throw errorWithStatus('NotImplemented', 'Conditional deletes (ETag, ' +
        'LastModifiedTime, Size) are not supported by the local S3 emulator', 501, {});
    }
    const key = leafText(o.Key[0]);
    if (key === '') throw malformedXML();
    return { key, versionId: o.VersionId ? leafText(o.VersionId[0]) : undefined };
  });
  return { quiet, objects };
}

// Content-MD5 or an x-amz-checksum-* header is required, and checked.
function checkDeleteDigests(ctx, checksums, body) {
  const md5 = ctx.headers['content-md5'];
  if (md5 !== undefined) {
    const digest = Buffer.from(md5, 'base64');
    if (digest.length !== 16 || digest.toString('base64') !== md5) {
      throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.');
    }
    if (!crypto.createHash('md5').update(body).digest().equals(digest)) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match ' +
        'what we received.');
    }
  }
  verifyChecksums(ctx, checksums, body);
}

async function deleteObjects(x, ctx, bucket) {
  await x.requireBucket(bucket);
  if (/aws-chunked/i.test(ctx.headers['content-encoding'] || '') ||
      /^STREAMING-/.test(ctx.headers['x-amz-content-sha256'] || '')) {
    throw errorWithStatus('NotImplemented', 'aws-chunked bodies are not ' +
      'supported by the local S3 emulator', 501, {});
  }
  const checksums = checksumHeaders(ctx);
  if (ctx.headers['content-md5'] === undefined && checksums.length === 0) {
    throw new S3Error('InvalidRequest',
      'Missing required header for this request: Content-Md5');
  }
  const body = await readBody(ctx.req);
  checkDeleteDigests(ctx, checksums, body);
  const { quiet, objects } = parseDelete(body);

  const parts = [];
  for (const { key, versionId } of objects) {
    const keyXml = `<Key>${xmlEscape(key)}</Key>` +
      (versionId !== undefined ? `<VersionId>${xmlEscape(versionId)}</VersionId>` : '');
    let deleted;
    try {
      // A version id that cannot be one of ours names no version: S3 says
      // NoSuchVersion here, where DeleteObject says InvalidArgument.
      if (versionId !== undefined && !VERSION_ID.test(versionId)) {
        throw new S3Error('NoSuchVersion', 'The specified version does not exist.');
      }
      deleted = await withKeyLock(bucket, key, () => x.deleteObject(bucket, key, versionId));
    } catch (err) {
      if (!(err instanceof S3Error)) {
        console.error('DeleteObjects %s %j:', bucket, key, err);
        err = S3Error.fromError(err);
      }
      parts.push(`<Error>${keyXml}<Code>${xmlEscape(err.code)}</Code>` +
        `<Message>${xmlEscape(err.message)}</Message></Error>`);
      continue;
    }
    if (quiet) continue;
    const marker = deleted.deleteMarker
      ? '<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>' +
        `${xmlEscape(deleted.deleteMarkerVersionId)}</DeleteMarkerVersionId>`
      : '';
    parts.push(`<Deleted>${keyXml}${marker}</Deleted>`);
  }
  xmlAnswer(ctx, `<DeleteResult xmlns="${NS}">${parts.join('')}</DeleteResult>`);
}

// ---------------------------------------------------------------------------

function middleware(x) {
  return async function s3Extras(ctx, next) {
    const parts = ctx.path.split('/');
    if (parts.length < 2 || !parts[1]) return next();
    let bucket, key;
    try {
      bucket = decodeURIComponent(parts[1]);
      key = parts.length > 2 ? decodeURIComponent(parts.slice(2).join('/')) : '';
    } catch (err) {
      return next(); // let s3rver answer a malformed path
    }
    const queryNames = Object.keys(ctx.query);
    if (!key) {
      const config = queryNames.find(n => BUCKET_CONFIGS.has(n));
      if (config) return bucketConfig(x, ctx, bucket, config);
      if (ctx.method === 'GET' && queryNames.includes('versions')) {
        return listVersions(x, ctx, bucket);
      }
      if (ctx.method === 'POST' && queryNames.includes('delete')) {
        return deleteObjects(x, ctx, bucket);
      }
      if (ctx.method === 'DELETE' && queryNames.length === 0 &&
          (await x.store.getBucket(bucket)) && x.listArchived(bucket, () => true).length) {
        throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is ' +
          'not empty. You must delete all versions in the bucket.', { BucketName: bucket });
      }
      return next();
    }
    const isCompletion = ctx.method === 'POST' && queryNames.includes('uploadId');
    if (!isCompletion && queryNames.some(n => OBJECT_SUBRESOURCES.has(n))) return next();
    if (!(await x.store.getBucket(bucket))) return next(); // s3rver's NoSuchBucket
    return objectRequest(x, ctx, next, bucket, key);
  };
}

// install(server): add the extras to an s3rver instance before run().
function install(server) {
  const store = server.store;
  // s3rver keeps only the metadata it knows; these must survive in
  // metadata.json and come back on GET/HEAD.
  for (const name of ['x-amz-version-id', ...CHECKSUM_HEADERS]) {
    if (!S3Object.ALLOWED_METADATA.includes(name)) S3Object.ALLOWED_METADATA.push(name);
  }
  // A body read for its checksums is handed to the store as a Buffer.
  const putObject = store.putObject.bind(store);
  store.putObject = object => {
    if (object.content && Buffer.isBuffer(object.content.cscBody)) {
      object.content = object.content.cscBody;
    }
    return putObject(object);
  };
  // After s3rver's request logger, before everything else.
  server.middleware.splice(1, 0, middleware(new Extras(store)));
}

module.exports = { install, CHECKSUMS };
