// deploy/local/s3-extras.js: the parts of S3 that csc uses and s3rver 3.7.1
// lacks, added to a running s3rver as one Koa middleware.
//
// s3rver answers NotImplemented to PutBucketEncryption, PutPublicAccessBlock
// and PutBucketLifecycleConfiguration, takes PutBucketVersioning for a
// CreateBucket (BucketAlreadyExists), has no object versions, and ignores
// x-amz-checksum-* headers.  csc-store creates its bucket versioned,
// encrypted, private and with a lifecycle rule, records each object's
// version id, and uploads with SHA-256 checksums, so the local stack needs:
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
//  - checksums on PutObject: x-amz-checksum-crc32, -crc32c, -sha1, -sha256
//    are checked against the body (400 BadDigest on a mismatch), stored,
//    echoed in the answer, and returned by GET/HEAD with
//    x-amz-checksum-mode: ENABLED;
//  - x-amz-server-side-encryption: AES256 on object answers, as AWS's
//    default encryption does.
//
// Not covered: versions through DeleteObjects (POST ?delete), ranges of old
// versions, checksums of multipart uploads, aws-chunked bodies, Suspended
// versioning beyond "no new version ids".
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

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

// ---------------------------------------------------------------------------
// Small helpers.

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, c => ({
    '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;',
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

// Check the body against the x-amz-checksum-* headers sent with it, and
// hand the body on to s3rver's store (see install()).
async function checkChecksums(ctx) {
  const sent = Object.keys(ctx.headers).filter(h => h.startsWith('x-amz-checksum-') &&
    h !== 'x-amz-checksum-mode' && h !== 'x-amz-checksum-type');
  if (sent.length === 0) return [];
  const unsupported = sent.filter(h => !CHECKSUM_HEADERS.includes(h));
  if (unsupported.length) {
    throw errorWithStatus('NotImplemented', `${unsupported.join(', ')} is not ` +
      'supported by the local S3 emulator', 501, {});
  }
  const body = await readBody(ctx.req);
  for (const header of sent) {
    const algorithm = header.slice('x-amz-checksum-'.length);
    if (CHECKSUMS[algorithm](body) !== ctx.headers[header]) {
      throw new S3Error('BadDigest', `The ${algorithm.toUpperCase()} you specified ` +
        'did not match the calculated checksum.');
    }
  }
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

  const enabled = x.versioning(bucket) === 'Enabled';
  if (method === 'PUT' || (method === 'POST' && 'uploadId' in ctx.query)) {
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
    return;
  }

  if (method === 'DELETE') {
    if (versionId !== undefined) {
      const current = await x.currentVersion(bucket, key);
      if (current && current.versionId === versionId) {
        dropQuery(ctx, 'versionId');
        await next();
        await x.promoteNewest(bucket, key);
      } else {
        const version = x.archivedVersion(bucket, key, versionId);
        if (version) {
          x.removeArchived(bucket, versionId);
          // Removing the delete marker in front brings the object back.
          if (!current) await x.promoteNewest(bucket, key);
          if (version.deleteMarker) ctx.set('x-amz-delete-marker', 'true');
        }
        ctx.status = 204;
      }
      ctx.set('x-amz-version-id', versionId);
      return;
    }
    if (!enabled) return next();
    await x.archiveCurrent(bucket, key);
    await next();
    const marker = {
      key, versionId: newVersionId(), deleteMarker: true,
      lastModified: new Date().toISOString(),
      seq: Date.now() * 1000 + (sequence++ % 1000),
    };
    x.writeArchived(bucket, marker, null);
    ctx.set('x-amz-delete-marker', 'true');
    ctx.set('x-amz-version-id', marker.versionId);
    return;
  }
  return next();
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
