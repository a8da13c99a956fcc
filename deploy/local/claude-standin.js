#!/usr/bin/env node
// claude-standin.js: a local stand-in for the Anthropic API, for csc's test
// suite and for the local stack when ANTHROPIC_API_KEY is unset.
//
// It speaks the real wire format (Messages API, JSON and SSE, structured
// output, tool use, thinking blocks, prompt-cache usage, Message Batches,
// error bodies and headers) and plays scripted faults, but it calls no model:
// every reply says it was generated offline.  Plain Node 20, no npm
// dependencies, listens on 127.0.0.1 only.  Usage: claude-standin.md.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const PROG = 'claude-standin';
const MARKER =
	'Generated offline by the csc Claude stand-in \u2014 not written by Claude';
const FILE_NAMES = [
	'backend_service.py',
	'api_routes.py',
	'database_schema.sql',
	'config.yaml',
	'requirements.txt',
	'README.md',
];

const USAGE = `usage: ${PROG} [options]

A local, offline stand-in for the Anthropic API (POST /v1/messages with JSON
or SSE replies, structured output, tool use, Message Batches, scripted
faults).  Listens on 127.0.0.1 only.

  --port P             port to listen on; 0 picks a free one (default 0)
  --port-file FILE     write the chosen port to FILE once listening
  --record FILE        append each request received to FILE as JSON Lines
                       (method, path, headers with keys redacted, body)
  --faults FILE        fault script, re-read on every request (JSON)
  --chunk-delay-ms N   pause between the small writes of a reply (default 0)
  --bundle-bytes N     approximate size of the six generated files together
                       (default 7000; never less than the unpadded ~7 KB)
  --batch-polls N      a batch reports in_progress for its first N polls,
                       then ended (default 2)
  --cache-min-tokens N shortest system prompt, in tokens, that is cached
                       (default 0; the real API needs about 1024)
  --max-body-bytes N   larger request bodies get 413 (default 33554432)
  --help               show this help and exit

Any non-empty x-api-key or Bearer token is accepted, unless the environment
variable CLAUDE_STANDIN_REQUIRE_KEY names the one key to accept.
SIGTERM or SIGINT stops the server.
`;

// ---------------------------------------------------------------------------
// Command line

const NUMERIC_OPTIONS = {
	'--port': 'port',
	'--chunk-delay-ms': 'chunkDelayMs',
	'--bundle-bytes': 'bundleBytes',
	'--batch-polls': 'batchPolls',
	'--cache-min-tokens': 'cacheMinTokens',
	'--max-body-bytes': 'maxBodyBytes',
};
const STRING_OPTIONS = {
	'--port-file': 'portFile',
	'--record': 'record',
	'--faults': 'faults',
};

function die(message) {
	process.stderr.write(`${PROG}: ${message}\n`);
	process.stderr.write(`Try '${PROG} --help'.\n`);
	process.exit(64); // EX_USAGE
}

function parseArgs(argv) {
	const opts = {
		port: 0,
		portFile: null,
		record: null,
		faults: null,
		chunkDelayMs: 0,
		bundleBytes: 7000,
		batchPolls: 2,
		cacheMinTokens: 0,
		maxBodyBytes: 32 * 1024 * 1024,
	};
	for (let i = 0; i < argv.length; i++) {
		let name = argv[i];
		let value;
		const eq = name.indexOf('=');
		if (name.startsWith('--') && eq > 0) {
			value = name.slice(eq + 1);
			name = name.slice(0, eq);
		}
		if (name === '--help' || name === '-h') {
			process.stdout.write(USAGE);
			process.exit(0);
		}
		const key = NUMERIC_OPTIONS[name] || STRING_OPTIONS[name];
		if (!key) die(`unknown option '${name}'`);
		if (value === undefined) value = argv[++i];
		if (value === undefined) die(`option '${name}' needs a value`);
		if (NUMERIC_OPTIONS[name]) {
			const n = Number(value);
			if (!Number.isInteger(n) || n < 0)
				die(`option '${name}' needs a whole number, not '${value}'`);
			opts[key] = n;
		} else {
			opts[key] = value;
		}
	}
	if (opts.port > 65535) die(`port ${opts.port} is out of range`);
	return opts;
}

// ---------------------------------------------------------------------------
// Small helpers

function log(line) {
	process.stderr.write(`${PROG}: ${line}\n`);
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

// newId('msg_01', 22): an id shaped like the real API's (prefix + base58).
function newId(prefix, length) {
	const bytes = crypto.randomBytes(length);
	let out = prefix;
	for (const b of bytes) out += BASE58[b % BASE58.length];
	return out;
}

// The API's token counts are approximated as one token per four characters.
function tokens(text) {
	return Math.ceil(String(text).length / 4);
}

// A small seeded PRNG (mulberry32), so a request's chunking is reproducible.
function prng(seedText) {
	let a = crypto.createHash('sha256').update(seedText).digest().readUInt32LE(0);
	return function next() {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function between(rand, lo, hi) {
	return lo + Math.floor(rand() * (hi - lo + 1));
}

function sleep(ms) {
	return new Promise((resolve) =>
		ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve));
}

function isObject(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Errors, shaped as the API shapes them:
// {"type":"error","error":{"type":...,"message":...},"request_id":...}

class ApiError extends Error {
	constructor(status, type, message, headers) {
		super(message);
		this.status = status;
		this.type = type;
		this.headers = headers || {};
	}
}

function invalid(message) {
	return new ApiError(400, 'invalid_request_error', message);
}

function errorBody(type, message, requestId) {
	return { type: 'error', error: { type, message }, request_id: requestId };
}

// The API tells clients whether a retry can help; the SDKs obey it.
function shouldRetry(status) {
	return status === 408 || status === 409 || status === 429 || status >= 500;
}

// ---------------------------------------------------------------------------
// Faults.  A fault is an HTTP error, a change to the reply's content, or a
// change to how the reply is sent.  faultError() returns the ApiError for
// the first kind and null for the others.

const CONTENT_FAULTS = ['max_tokens', 'refusal', 'invalid_json', 'big_bundle'];
const TRANSPORT_FAULTS = ['slow', 'drop', 'stream_error', 'hang'];
const BATCH_ONLY_FAULTS = ['expired', 'canceled'];

const ERROR_FAULTS = {
	overloaded: () => new ApiError(529, 'overloaded_error', 'Overloaded'),
	rate_limit: (rule) => {
		const ms = Number.isInteger(rule.retry_after_ms) ? rule.retry_after_ms : 1000;
		return new ApiError(429, 'rate_limit_error',
			'This request would exceed the rate limit for your organization ' +
			'of 50 requests per minute. For details, refer to: ' +
			'https://docs.claude.com/en/api/rate-limits. You can see the ' +
			'response headers for current usage. (scripted by the csc Claude ' +
			'stand-in)',
			{
				'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
				'retry-after-ms': String(ms),
				'anthropic-ratelimit-requests-remaining': '0',
			});
	},
	rate_limit_spend: () => new ApiError(429, 'rate_limit_error',
		'Your workspace has exhausted its monthly spend limit. You will ' +
		'regain access at the start of next month, or when an admin raises ' +
		'the limit. (scripted by the csc Claude stand-in)',
		{ 'x-should-retry': 'false' }),
	server_error: () => new ApiError(500, 'api_error', 'Internal server error'),
	should_retry_false: () => new ApiError(500, 'api_error',
		'Internal server error', { 'x-should-retry': 'false' }),
	bad_request: (rule) => invalid(rule.message ||
		'messages.0.content: scripted bad request from the csc Claude stand-in'),
	unauthorized: () => new ApiError(401, 'authentication_error', 'invalid x-api-key'),
	forbidden: () => new ApiError(403, 'permission_error',
		'Your API key does not have permission to use the specified resource.'),
	not_found: () => new ApiError(404, 'not_found_error', 'Not found'),
	request_too_large: () => new ApiError(413, 'request_too_large',
		'Request exceeds the maximum allowed number of bytes.'),
	// "status": any status and error type, for cases not named above.
	status: (rule) => new ApiError(
		Number.isInteger(rule.status) && rule.status >= 400 && rule.status <= 599
			? rule.status : 500,
		rule.error_type || 'api_error', rule.message || 'Scripted error'),
};

const KNOWN_FAULTS = new Set([
	...Object.keys(ERROR_FAULTS), ...CONTENT_FAULTS, ...TRANSPORT_FAULTS,
	...BATCH_ONLY_FAULTS,
]);

function faultError(rule) {
	if (!rule || !ERROR_FAULTS[rule.fault]) return null;
	return ERROR_FAULTS[rule.fault](rule);
}

function globMatch(pattern, value) {
	const re = new RegExp('^' + String(pattern).split('*')
		.map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
	return re.test(String(value));
}

// ruleMatches(match, ctx): every key of the rule's "match" must agree with
// the request: path (with * globs), method, stream, model, custom_id.
function ruleMatches(match, ctx) {
	for (const [key, want] of Object.entries(match || {})) {
		const have = ctx[key];
		if (key === 'path') {
			if (!globMatch(want, have)) return false;
		} else if (key === 'method') {
			if (String(want).toUpperCase() !== have) return false;
		} else if (key === 'stream') {
			if (Boolean(want) !== Boolean(have)) return false;
		} else if (want !== have) {
			return false;
		}
	}
	return true;
}

// The fault script is re-read on every request, so a test can rewrite it
// between calls; a changed file starts its per-rule counters afresh.
class FaultScript {
	constructor(file) {
		this.file = file;
		this.text = null;
		this.rules = [];
		this.seen = [];
	}

	reload() {
		if (!this.file) return;
		let text = '';
		try {
			text = fs.readFileSync(this.file, 'utf8');
		} catch (e) {
			text = '';
		}
		if (text === this.text) return;
		this.text = text;
		this.rules = [];
		this.seen = [];
		if (text.trim() === '') return;
		let doc;
		try {
			doc = JSON.parse(text);
		} catch (e) {
			log(`fault script ${this.file}: ${e.message}; no faults applied`);
			return;
		}
		const rules = Array.isArray(doc) ? doc : (isObject(doc) && doc.rules);
		if (!Array.isArray(rules)) {
			log(`fault script ${this.file}: want a list of rules; no faults applied`);
			return;
		}
		rules.forEach((rule, i) => {
			if (!isObject(rule) || !KNOWN_FAULTS.has(rule.fault))
				log(`fault script rule ${i}: unknown fault ` +
					`'${isObject(rule) ? rule.fault : rule}', ignored`);
		});
		this.rules = rules;
		this.seen = rules.map(() => 0);
	}

	// take(ctx): the first rule that matches the request and is not used up.
	// "skip": N lets the first N matching requests through; "times": N
	// applies the fault N times after that (unlimited when absent).
	take(ctx) {
		this.reload();
		for (let i = 0; i < this.rules.length; i++) {
			const rule = this.rules[i];
			if (!isObject(rule) || !KNOWN_FAULTS.has(rule.fault)) continue;
			if (!ruleMatches(rule.match, ctx)) continue;
			const seen = this.seen[i]++;
			const skip = Number.isInteger(rule.skip) ? rule.skip : 0;
			if (seen < skip) continue;
			if (Number.isInteger(rule.times) && seen - skip >= rule.times) continue;
			return rule;
		}
		return null;
	}
}

// ---------------------------------------------------------------------------
// Request validation, with the API's messages (field path first).

const PREFILL_REFUSED = /(?:opus|sonnet)-(?:4-[6-9]|5)/;
const MAX_OUTPUT_TOKENS = 128000;

function requireField(body, name) {
	if (body[name] === undefined || body[name] === null)
		throw invalid(`${name}: Field required`);
}

function validateMessages(messages) {
	if (!Array.isArray(messages))
		throw invalid('messages: Input should be a valid list');
	if (messages.length === 0)
		throw invalid('messages: at least one message is required');
	messages.forEach((m, i) => {
		if (!isObject(m)) throw invalid(`messages.${i}: Input should be a valid dictionary`);
		if (m.role !== 'user' && m.role !== 'assistant')
			throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
		if (typeof m.content !== 'string' && !Array.isArray(m.content))
			throw invalid(`messages.${i}.content: Input should be a valid string or list`);
		if (Array.isArray(m.content)) {
			m.content.forEach((block, j) => {
				if (!isObject(block) || typeof block.type !== 'string')
					throw invalid(`messages.${i}.content.${j}.type: Field required`);
			});
		}
	});
}

// Structured outputs accept a subset of JSON Schema; the one rule every
// client trips on is that each object must say additionalProperties: false.
function lintStrictSchema(schema, where) {
	if (!isObject(schema)) return;
	const isObjectType = schema.type === 'object' ||
		(Array.isArray(schema.type) && schema.type.includes('object'));
	if (isObjectType) {
		if (schema.additionalProperties === undefined)
			throw invalid(`${where}: For 'object' type, 'additionalProperties' ` +
				'must be explicitly set to false');
		if (schema.additionalProperties !== false)
			throw invalid(`${where}: For 'object' type, 'additionalProperties: ` +
				`${JSON.stringify(schema.additionalProperties)}' is not supported. ` +
				"Please set 'additionalProperties' to false");
	}
	for (const key of ['properties', '$defs', 'definitions']) {
		if (isObject(schema[key]))
			for (const sub of Object.values(schema[key])) lintStrictSchema(sub, where);
	}
	for (const key of ['anyOf', 'allOf', 'oneOf', 'prefixItems']) {
		if (Array.isArray(schema[key]))
			for (const sub of schema[key]) lintStrictSchema(sub, where);
	}
	if (isObject(schema.items)) lintStrictSchema(schema.items, where);
}

// outputFormat(body): the structured-output format asked for, or null.
// output_config.format is current; output_format is the beta spelling.
function outputFormat(body) {
	const config = body.output_config;
	if (config !== undefined && !isObject(config))
		throw invalid('output_config: Input should be a valid dictionary');
	const format = (config && config.format) || body.output_format || null;
	if (format === null) return null;
	const where = config && config.format ? 'output_config.format' : 'output_format';
	if (!isObject(format) || format.type !== 'json_schema')
		throw invalid(`${where}.type: Input should be 'json_schema'`);
	if (!isObject(format.schema)) throw invalid(`${where}.schema: Field required`);
	lintStrictSchema(format.schema, `${where}.schema`);
	return format;
}

function validateTools(body) {
	if (body.tools === undefined) return;
	if (!Array.isArray(body.tools)) throw invalid('tools: Input should be a valid list');
	body.tools.forEach((tool, i) => {
		if (!isObject(tool) || typeof tool.name !== 'string' || tool.name === '')
			throw invalid(`tools.${i}.name: Field required`);
		// Server tools ("type": "web_search_...") carry no input_schema.
		if (tool.type && tool.type !== 'custom') return;
		if (!isObject(tool.input_schema))
			throw invalid(`tools.${i}.custom.input_schema: Field required`);
		if (tool.strict === true)
			lintStrictSchema(tool.input_schema, `tools.${i}.custom.input_schema`);
	});
}

// forcedTool(body): the tool the request forces, or null.
function forcedTool(body) {
	const choice = body.tool_choice;
	if (choice === undefined) return null;
	if (!isObject(choice) || !['auto', 'any', 'tool', 'none'].includes(choice.type))
		throw invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
	const tools = Array.isArray(body.tools) ? body.tools : [];
	if (choice.type === 'tool') {
		const tool = tools.find((t) => t.name === choice.name);
		if (!tool)
			throw invalid(`tool_choice: tool '${choice.name}' not found in tools`);
		return tool;
	}
	if (choice.type === 'any') {
		if (tools.length === 0) throw invalid('tool_choice: requires tools to be set');
		return tools[0];
	}
	return null;
}

function thinkingEnabled(body) {
	const t = body.thinking;
	if (t === undefined) return false;
	if (!isObject(t) || !['enabled', 'disabled', 'adaptive'].includes(t.type))
		throw invalid("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'");
	if (t.type === 'enabled') {
		if (!Number.isInteger(t.budget_tokens) || t.budget_tokens < 1024)
			throw invalid('thinking.enabled.budget_tokens: Input should be ' +
				'greater than or equal to 1024');
		if (t.budget_tokens >= body.max_tokens)
			throw invalid('`max_tokens` must be greater than ' +
				'`thinking.budget_tokens`.');
	}
	return t.type !== 'disabled';
}

// validateParams(body): throws the ApiError the API would send for a bad
// Messages request; returns what the reply generator needs to know.
function validateParams(body) {
	if (!isObject(body)) throw invalid('Request body must be a JSON object');
	requireField(body, 'model');
	requireField(body, 'max_tokens');
	requireField(body, 'messages');
	if (typeof body.model !== 'string' || body.model === '')
		throw invalid('model: Input should be a valid string');
	if (!Number.isInteger(body.max_tokens))
		throw invalid('max_tokens: Input should be a valid integer');
	if (body.max_tokens < 1)
		throw invalid('max_tokens: Input should be greater than or equal to 1');
	if (body.max_tokens > MAX_OUTPUT_TOKENS)
		throw invalid(`max_tokens: ${body.max_tokens} > ${MAX_OUTPUT_TOKENS}, ` +
			'which is the maximum allowed number of output tokens for ' +
			body.model);
	validateMessages(body.messages);
	if (body.stream !== undefined && typeof body.stream !== 'boolean')
		throw invalid('stream: Input should be a valid boolean');
	if (!body.model.startsWith('claude-'))
		throw new ApiError(404, 'not_found_error', `model: ${body.model}`);
	const last = body.messages[body.messages.length - 1];
	if (last.role === 'assistant' && PREFILL_REFUSED.test(body.model))
		throw invalid('This model does not support assistant message prefill. ' +
			'The conversation must end with a user message.');
	validateTools(body);
	const tool = forcedTool(body);
	const thinking = thinkingEnabled(body);
	if (thinking && tool)
		throw invalid('Thinking may not be enabled when tool_choice forces tool use.');
	const format = outputFormat(body);
	return { tool, thinking, format };
}

// ---------------------------------------------------------------------------
// What the user asked for, read from the last user message.  csc sends its
// service_data as JSON; prose with the same words works as well.

const SERVICE_TYPES = ['vFirewall', 'vRouter', 'vLoadBalancer', 'vVPN', 'vIPS',
	'vNAT', 'vWAF', 'vDNS'];
const VENDORS = ['Palo Alto Networks', 'Check Point', 'Cisco', 'Fortinet',
	'Juniper', 'pfSense', 'nftables', 'F5', 'HAProxy', 'NGINX', 'Citrix',
	'Arista', 'VyOS', 'MikroTik', 'WireGuard', 'OpenVPN', 'strongSwan',
	'Suricata', 'Snort', 'BIND', 'PowerDNS', 'Unbound', 'CoreDNS',
	'ModSecurity', 'Imperva', 'Barracuda', 'Sophos', 'Envoy', 'Traefik'];
const DATABASES = ['PostgreSQL', 'MySQL', 'SQLite'];
const DEPLOYMENTS = ['AWS', 'Azure', 'Google Cloud', 'Kubernetes', 'On-premises'];

function textOf(content) {
	if (typeof content === 'string') return content;
	if (!Array.isArray(content)) return '';
	return content.map((b) => (b && typeof b.text === 'string' ? b.text : '')).join('\n');
}

function lastUserText(messages) {
	for (let i = messages.length - 1; i >= 0; i--)
		if (messages[i].role === 'user') return textOf(messages[i].content);
	return '';
}

function unescapeJson(s) {
	try {
		return JSON.parse(`"${s}"`);
	} catch (e) {
		return s;
	}
}

// keyPattern('service_type') also matches "Service type" and "service-type".
function keyPattern(key) {
	return key.replace(/_/g, '[ _-]?');
}

// findField(text, key): the value given for key, as "key": "v" or key: v.
function findField(text, key) {
	const k = keyPattern(key);
	const quoted = new RegExp(`["']?\\b${k}["']?\\s*[:=]\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'i');
	let m = quoted.exec(text);
	if (m) return unescapeJson(m[1]).trim();
	// Unquoted, the value runs to the end of the line ("Scale: HA pair, ...").
	m = new RegExp(`\\b${k}\\s*[:=]\\s*([^\\n]+)`, 'i').exec(text);
	return m ? m[1].replace(/[\s,}\]]+$/, '').replace(/^["']|["']$/g, '').trim() : '';
}

// findList(text, key): the list given for key, as a JSON array or a comma
// list up to the end of the line.
function findList(text, key) {
	const k = keyPattern(key);
	const m = new RegExp(`["']?\\b${k}["']?\\s*[:=]\\s*\\[([^\\]]*)\\]`, 'i').exec(text);
	if (m) {
		const items = [];
		const re = /"((?:[^"\\]|\\.)*)"/g;
		let s;
		while ((s = re.exec(m[1])) !== null) items.push(unescapeJson(s[1]).trim());
		return items.filter(Boolean);
	}
	const line = new RegExp(`\\b${k}\\s*[:=]\\s*([^\\n}\\]]+)`, 'i').exec(text);
	return line ? line[1].split(/\s*,\s*/).map((f) => f.trim()).filter(Boolean) : [];
}

function firstKnown(text, names) {
	const lower = text.toLowerCase();
	let best = null;
	for (const name of names) {
		const at = lower.indexOf(name.toLowerCase());
		if (at >= 0 && (best === null || at < best.at)) best = { name, at };
	}
	return best ? best.name : '';
}

function describeService(text) {
	const info = {
		serviceType: findField(text, 'service_type') || firstKnown(text, SERVICE_TYPES) ||
			'vService',
		vendor: findField(text, 'vendor') || firstKnown(text, VENDORS) || 'Generic',
		features: findList(text, 'features'),
		deployment: findField(text, 'deployment') || firstKnown(text, DEPLOYMENTS) ||
			'On-premises',
		scale: findField(text, 'scale') || 'Single instance',
		database: findField(text, 'database') || firstKnown(text, DATABASES) ||
			'PostgreSQL',
		requirements: findField(text, 'requirements'),
	};
	if (info.features.length === 0) info.features = ['Logging & Monitoring'];
	info.features = info.features.slice(0, 20).map((f) => f.slice(0, 80));
	for (const key of ['serviceType', 'vendor', 'deployment', 'scale', 'database'])
		info[key] = info[key].slice(0, 80);
	info.requirements = info.requirements.slice(0, 2000);
	return info;
}

// ---------------------------------------------------------------------------
// The six files.  Each is valid in its language (the Python compiles, the
// YAML parses, the SQL runs in SQLite when SQLite was asked for) and opens
// with the offline marker, in that language's comment syntax.

function words(s) {
	return String(s).split(/[^A-Za-z0-9]+/).filter(Boolean);
}

function identifier(s, fallback) {
	const id = words(s).join('_').toLowerCase();
	if (id === '') return fallback;
	return /^[0-9]/.test(id) ? `x_${id}` : id;
}

function className(info) {
	const name = words(`${info.serviceType} ${info.vendor}`)
		.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
	return /^[A-Za-z]/.test(name) ? `${name}Service` : `S${name}Service`;
}

// A string literal valid in Python and in YAML (JSON's escapes are a subset
// of both); comment text is kept to one line.
const lit = (s) => JSON.stringify(String(s));
const oneLine = (s) => String(s).replace(/[\r\n\t]+/g, ' ').slice(0, 200);
const docText = (s) => oneLine(s).replace(/\\/g, '/').replace(/"/g, "'");
const sqlLit = (s) => `'${String(s).replace(/'/g, "''")}'`;

// padTo(lines, size, unit): append unit(n) blocks until the file reaches
// size bytes, so --bundle-bytes can grow a bundle for benchmarks.
function padTo(lines, size, unit) {
	let text = lines.join('\n') + '\n';
	for (let n = 1; Buffer.byteLength(text) < size; n++) text += unit(n);
	return text;
}

function backendPy(info, size) {
	const cls = className(info);
	const lines = [
		`# ${MARKER}.`,
		`"""Backend service for a ${docText(info.vendor)} ${docText(info.serviceType)} ` +
			'(offline placeholder).',
		'',
		'No model was called: this is a valid skeleton, not a reviewed implementation.',
		'"""',
		'',
		'from __future__ import annotations',
		'',
		'import logging',
		'import os',
		'from dataclasses import dataclass, field',
		'from typing import Any',
		'',
		'import yaml',
		'',
		`LOG = logging.getLogger(${lit(identifier(info.serviceType, 'service'))})`,
		'',
		`SERVICE_TYPE = ${lit(info.serviceType)}`,
		`VENDOR = ${lit(info.vendor)}`,
		`FEATURES = [${info.features.map(lit).join(', ')}]`,
		`DEPLOYMENT = ${lit(info.deployment)}`,
		`SCALE = ${lit(info.scale)}`,
		`DATABASE = ${lit(info.database)}`,
		`EXTRA_REQUIREMENTS = ${lit(info.requirements)}`,
		'OFFLINE_PLACEHOLDER = True',
		'',
		'',
		'@dataclass',
		'class ServiceConfig:',
		'    name: str',
		'    vendor: str',
		'    features: list[str] = field(default_factory=list)',
		'    database_url: str = ""',
		'',
		'    @classmethod',
		'    def load(cls, path: str) -> "ServiceConfig":',
		'        with open(path, encoding="utf-8") as fh:',
		'            raw = yaml.safe_load(fh) or {}',
		'        service = raw.get("service", {})',
		'        database = raw.get("database", {})',
		'        return cls(',
		'            name=service.get("name", SERVICE_TYPE),',
		'            vendor=service.get("vendor", VENDOR),',
		'            features=list(service.get("features", FEATURES)),',
		'            database_url=os.environ.get("DATABASE_URL", database.get("url", "")),',
		'        )',
		'',
		'',
		`class ${cls}:`,
		`    """Keeps the ${docText(info.serviceType)} rule set and reports on its features."""`,
		'',
		'    def __init__(self, config: ServiceConfig) -> None:',
		'        self.config = config',
		'        self.rules: dict[int, dict[str, Any]] = {}',
		'        self._next_id = 1',
		'',
		'    def health(self) -> dict[str, Any]:',
		'        return {"ok": True, "service": self.config.name, "offline": OFFLINE_PLACEHOLDER}',
		'',
		'    def list_rules(self) -> list[dict[str, Any]]:',
		'        return [dict(rule, id=rule_id) for rule_id, rule in sorted(self.rules.items())]',
		'',
		'    def add_rule(self, rule: dict[str, Any]) -> dict[str, Any]:',
		'        missing = [key for key in ("name", "action") if key not in rule]',
		'        if missing:',
		'            raise ValueError("missing fields: " + ", ".join(missing))',
		'        rule_id = self._next_id',
		'        self._next_id += 1',
		'        self.rules[rule_id] = dict(rule)',
		'        LOG.info("rule %d added for %s", rule_id, self.config.vendor)',
		'        return dict(rule, id=rule_id)',
		'',
		'    def delete_rule(self, rule_id: int) -> bool:',
		'        return self.rules.pop(rule_id, None) is not None',
		'',
		'    def feature_status(self) -> dict[str, bool]:',
		'        return {name: name in FEATURES for name in self.config.features}',
	];
	return padTo(lines, size, (n) => {
		const feature = info.features[(n - 1) % info.features.length];
		const fn = `check_${identifier(feature, 'feature')}_${n}`;
		return [
			'', '',
			`def ${fn}(packet: dict[str, Any]) -> bool:`,
			`    """Placeholder check ${n} for ${docText(feature)} (offline stand-in)."""`,
			`    return bool(packet.get("allowed", True)) and packet.get("priority", ${n}) >= 0`,
			'',
		].join('\n');
	});
}

function routesPy(info, size) {
	const cls = className(info);
	const lines = [
		`# ${MARKER}.`,
		`"""HTTP routes for the ${docText(info.vendor)} ${docText(info.serviceType)} ` +
			'service (offline placeholder)."""',
		'',
		'from __future__ import annotations',
		'',
		'from typing import Any',
		'',
		'from fastapi import APIRouter, HTTPException',
		'',
		`from backend_service import FEATURES, SERVICE_TYPE, VENDOR, ServiceConfig, ${cls}`,
		'',
		'router = APIRouter(prefix="/api/v1")',
		`_service = ${cls}(ServiceConfig(name=SERVICE_TYPE, vendor=VENDOR, features=list(FEATURES)))`,
		'',
		'',
		'@router.get("/health")',
		'def health() -> dict[str, Any]:',
		'    return _service.health()',
		'',
		'',
		'@router.get("/rules")',
		'def list_rules() -> list[dict[str, Any]]:',
		'    return _service.list_rules()',
		'',
		'',
		'@router.post("/rules", status_code=201)',
		'def add_rule(rule: dict[str, Any]) -> dict[str, Any]:',
		'    try:',
		'        return _service.add_rule(rule)',
		'    except ValueError as exc:',
		'        raise HTTPException(status_code=400, detail=str(exc)) from exc',
		'',
		'',
		'@router.delete("/rules/{rule_id}", status_code=204)',
		'def delete_rule(rule_id: int) -> None:',
		'    if not _service.delete_rule(rule_id):',
		'        raise HTTPException(status_code=404, detail="rule not found")',
		'',
		'',
		'@router.get("/features")',
		'def features() -> dict[str, bool]:',
		'    return _service.feature_status()',
	];
	return padTo(lines, size, (n) => {
		const feature = info.features[(n - 1) % info.features.length];
		return [
			'', '',
			`@router.get("/features/${n}")`,
			`def feature_${n}() -> dict[str, Any]:`,
			`    """Status of ${docText(feature)} (placeholder route ${n})."""`,
			`    return {"feature": ${lit(feature)}, "enabled": True, "offline_placeholder": True}`,
			'',
		].join('\n');
	});
}

function primaryKey(database) {
	if (/mysql|maria/i.test(database)) return 'INTEGER AUTO_INCREMENT PRIMARY KEY';
	if (/sqlite/i.test(database)) return 'INTEGER PRIMARY KEY AUTOINCREMENT';
	return 'SERIAL PRIMARY KEY';
}

function schemaSql(info, size) {
	const pk = primaryKey(info.database);
	const lines = [
		`-- ${MARKER}.`,
		`-- Schema for the ${oneLine(info.vendor)} ${oneLine(info.serviceType)} ` +
			`service (${oneLine(info.database)}).`,
		'',
		'CREATE TABLE IF NOT EXISTS services (',
		`    id ${pk},`,
		'    name VARCHAR(128) NOT NULL,',
		'    vendor VARCHAR(128) NOT NULL,',
		'    deployment VARCHAR(64) NOT NULL,',
		'    scale VARCHAR(64) NOT NULL,',
		'    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP',
		');',
		'',
		'CREATE TABLE IF NOT EXISTS rules (',
		`    id ${pk},`,
		'    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,',
		'    name VARCHAR(128) NOT NULL,',
		"    action VARCHAR(16) NOT NULL CHECK (action IN ('allow', 'deny', 'log')),",
		'    priority INTEGER NOT NULL DEFAULT 100,',
		'    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP',
		');',
		'',
		'CREATE INDEX idx_rules_service ON rules (service_id, priority);',
		'',
		'CREATE TABLE IF NOT EXISTS features (',
		`    id ${pk},`,
		'    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,',
		'    name VARCHAR(128) NOT NULL,',
		'    enabled BOOLEAN NOT NULL DEFAULT TRUE',
		');',
		'',
		'CREATE TABLE IF NOT EXISTS audit_log (',
		`    id ${pk},`,
		'    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,',
		'    event VARCHAR(64) NOT NULL,',
		'    detail TEXT,',
		'    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP',
		');',
		'',
		'INSERT INTO services (name, vendor, deployment, scale) VALUES (' +
			[info.serviceType, info.vendor, info.deployment, info.scale].map(sqlLit).join(', ') +
			');',
		...info.features.map((f) =>
			`INSERT INTO features (service_id, name) VALUES (1, ${sqlLit(f)});`),
	];
	return padTo(lines, size, (n) =>
		'INSERT INTO audit_log (service_id, event, detail) VALUES ' +
		`(1, 'seed', 'placeholder row ${n} written offline by the csc Claude stand-in');\n`);
}

function databaseUrl(info) {
	const db = identifier(info.serviceType, 'service');
	if (/mysql|maria/i.test(info.database)) return `mysql://csc:change-me@localhost:3306/${db}`;
	if (/sqlite/i.test(info.database)) return `sqlite:///${db}.db`;
	return `postgresql://csc:change-me@localhost:5432/${db}`;
}

function configYaml(info, size) {
	const lines = [
		`# ${MARKER}.`,
		'service:',
		`  name: ${lit(info.serviceType)}`,
		`  vendor: ${lit(info.vendor)}`,
		`  deployment: ${lit(info.deployment)}`,
		`  scale: ${lit(info.scale)}`,
		'  features:',
		...info.features.map((f) => `    - ${lit(f)}`),
		'database:',
		`  engine: ${lit(info.database)}`,
		`  url: ${lit(databaseUrl(info))}`,
		'server:',
		'  host: "127.0.0.1"',
		'  port: 8080',
		'logging:',
		'  level: "INFO"',
		'generated_by:',
		'  tool: "csc Claude stand-in"',
		'  offline: true',
		'rules:',
		'  - name: "default-deny"',
		'    action: "deny"',
		'    priority: 1000',
	];
	return padTo(lines, size, (n) =>
		`  - name: "placeholder-rule-${n}"\n    action: "log"\n    priority: ${n}\n`);
}

function requirementsTxt(info) {
	const lines = [`# ${MARKER}.`, 'fastapi>=0.110', 'uvicorn[standard]>=0.29',
		'PyYAML>=6.0'];
	if (/mysql|maria/i.test(info.database)) lines.push('PyMySQL>=1.1');
	else if (!/sqlite/i.test(info.database)) lines.push('psycopg[binary]>=3.1');
	return lines.join('\n') + '\n';
}

function readmeMd(info, size) {
	const lines = [
		`# ${oneLine(info.serviceType)} service for ${oneLine(info.vendor)}`,
		'',
		`> **${MARKER}.** No model was called: the csc Claude stand-in, a local`,
		'> substitute for the Anthropic API, produced these six files so that the',
		'> csc pipeline can be exercised offline.  Set `ANTHROPIC_API_KEY` to get',
		'> a bundle written by Claude.',
		'',
		'## What was asked',
		'',
		`- Service type: ${oneLine(info.serviceType)}`,
		`- Vendor: ${oneLine(info.vendor)}`,
		`- Features: ${info.features.map(oneLine).join(', ')}`,
		`- Deployment: ${oneLine(info.deployment)}`,
		`- Scale: ${oneLine(info.scale)}`,
		`- Database: ${oneLine(info.database)}`,
		`- Other requirements: ${info.requirements ? oneLine(info.requirements) : 'none'}`,
		'',
		'## Files',
		'',
		'`backend_service.py` (the service and its settings), `api_routes.py`',
		'(FastAPI routes), `database_schema.sql`, `config.yaml`,',
		'`requirements.txt` and this README.',
		'',
		'## Running',
		'',
		'```sh',
		'python3 -m venv .venv && . .venv/bin/activate',
		'pip install -r requirements.txt',
		'```',
		'',
		'Mount `api_routes.router` in a FastAPI application and load the settings',
		'with `ServiceConfig.load("config.yaml")`.',
	];
	return padTo(lines, size, (n) => [
		'', `### Placeholder note ${n}`, '',
		'This paragraph pads the offline bundle to the size asked for with ' +
			`--bundle-bytes; it was ${MARKER.toLowerCase()}.`,
		'',
	].join('\n'));
}

// buildBundle(info, total): the six files, about `total` bytes together
// (never less than the unpadded files, about 7 KB): the shortfall is shared
// out among the files that can grow.
const GROWTH = [
	['backend_service.py', backendPy, 0.32],
	['api_routes.py', routesPy, 0.2],
	['database_schema.sql', schemaSql, 0.18],
	['config.yaml', configYaml, 0.1],
	['README.md', readmeMd, 0.2],
];

function buildBundle(info, total) {
	const base = {};
	for (const [name, make] of GROWTH) base[name] = make(info, 0);
	base['requirements.txt'] = requirementsTxt(info);
	const have = Object.values(base).reduce((n, text) => n + Buffer.byteLength(text), 0);
	const short = total - have;
	const bundle = {};
	for (const name of FILE_NAMES) {
		const grow = GROWTH.find(([n]) => n === name);
		bundle[name] = grow && short > 0
			? grow[1](info, Buffer.byteLength(base[name]) + Math.floor(short * grow[2]))
			: base[name];
	}
	return bundle;
}

// ---------------------------------------------------------------------------
// A value for any JSON Schema: walk it, fill what is required (all
// properties when nothing is marked required), and put file contents under
// the six file names wherever they appear.

function resolveRef(ref, root) {
	const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref || '');
	return m && isObject(root[m[1]]) ? root[m[1]][m[2]] : null;
}

function stringFor(schema, key, gen) {
	if (FILE_NAMES.includes(key)) return gen.bundle()[key];
	switch (schema.format) {
	case 'date-time': return new Date().toISOString();
	case 'date': return new Date().toISOString().slice(0, 10);
	case 'uuid': return crypto.randomUUID();
	case 'email': return 'offline@example.invalid';
	case 'uri': return 'https://example.invalid/offline';
	default: return `offline stand-in value for ${key || 'this field'}`;
	}
}

// An array of {name, content} objects is another way to ask for files.
function fileListItems(items, gen, root) {
	const props = isObject(items) && isObject(items.properties) ? items.properties : null;
	if (!props) return null;
	const nameKey = ['name', 'filename', 'file_name', 'path'].find((k) => props[k]);
	const bodyKey = ['content', 'contents', 'body', 'text', 'code'].find((k) => props[k]);
	if (!nameKey || !bodyKey) return null;
	const bundle = gen.bundle();
	return FILE_NAMES.map((name) => {
		const item = fillSchema(items, gen, '', root, 1, new Set([nameKey, bodyKey]));
		item[nameKey] = name;
		item[bodyKey] = bundle[name];
		return item;
	});
}

function fillSchema(schema, gen, key, root, depth, skipKeys) {
	if (!isObject(schema) || depth > 16) return null;
	if (schema.$ref) return fillSchema(resolveRef(schema.$ref, root), gen, key, root, depth + 1);
	if ('const' in schema) return schema.const;
	if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
	for (const k of ['anyOf', 'oneOf', 'allOf']) {
		if (Array.isArray(schema[k]) && schema[k].length) {
			const usable = schema[k].find((s) => !(isObject(s) && s.type === 'null')) ||
				schema[k][0];
			return fillSchema(usable, gen, key, root, depth + 1);
		}
	}
	let type = schema.type;
	if (Array.isArray(type)) type = type.find((t) => t !== 'null') || 'null';
	if (!type) type = isObject(schema.properties) ? 'object' : 'string';
	switch (type) {
	case 'object': {
		const out = {};
		const props = isObject(schema.properties) ? schema.properties : {};
		const wanted = Array.isArray(schema.required) ? schema.required : Object.keys(props);
		for (const name of wanted) {
			if (skipKeys && skipKeys.has(name)) continue;
			out[name] = fillSchema(props[name] || { type: 'string' }, gen, name, root, depth + 1);
		}
		return out;
	}
	case 'array': {
		const files = fileListItems(schema.items, gen, root);
		if (files) return files;
		// One item unless more are required (capped: a schema is not a DoS).
		const count = Math.min(16, Math.max(1,
			Number.isInteger(schema.minItems) ? schema.minItems : 1));
		return Array.from({ length: count },
			() => fillSchema(schema.items || { type: 'string' }, gen, key, root, depth + 1));
	}
	case 'integer': return Number.isInteger(schema.minimum) ? schema.minimum : 1;
	case 'number': return typeof schema.minimum === 'number' ? schema.minimum : 1;
	case 'boolean': return true;
	case 'null': return null;
	default: return stringFor(schema, key, gen);
	}
}

// ---------------------------------------------------------------------------
// Prompt caching: a request whose tools or system prompt carry
// cache_control writes that prefix to the cache the first time and reads it
// while it lives (5 minutes, or 1 hour with ttl "1h", refreshed on a hit).

class PromptCache {
	constructor(minTokens) {
		this.minTokens = minTokens;
		this.entries = new Map(); // key -> expiry time (ms)
	}

	// account(body): {prefixTokens, created, read, ttl} for this request.
	account(body) {
		const parts = [];
		let cut = -1;
		let ttl = '5m';
		const consider = (block) => {
			parts.push(JSON.stringify(block));
			if (isObject(block) && isObject(block.cache_control)) {
				cut = parts.length;
				if (block.cache_control.ttl === '1h') ttl = '1h';
			}
		};
		(Array.isArray(body.tools) ? body.tools : []).forEach(consider);
		if (Array.isArray(body.system)) body.system.forEach(consider);
		else if (typeof body.system === 'string') parts.push(body.system);
		if (cut < 0) return { prefixTokens: 0, created: 0, read: 0, ttl };
		const prefix = parts.slice(0, cut).join('');
		const prefixTokens = tokens(prefix);
		if (prefixTokens < this.minTokens) return { prefixTokens: 0, created: 0, read: 0, ttl };
		const key = crypto.createHash('sha256').update(body.model + '\0' + prefix).digest('hex');
		const now = Date.now();
		const life = ttl === '1h' ? 3600e3 : 300e3;
		const hit = (this.entries.get(key) || 0) > now;
		this.entries.set(key, now + life);
		return hit ? { prefixTokens, created: 0, read: prefixTokens, ttl }
			: { prefixTokens, created: prefixTokens, read: 0, ttl };
	}
}

function inputTokens(body) {
	return tokens(JSON.stringify([body.system || '', body.messages, body.tools || [],
		body.output_config || body.output_format || null]));
}

// ---------------------------------------------------------------------------
// The reply.  composeReply() decides the content blocks, stop reason and
// usage; toMessage() and streamEvents() put them on the wire.

function offlineText(body) {
	const asked = lastUserText(body.messages);
	return 'This reply comes from the csc Claude stand-in, a local offline ' +
		'substitute for the Anthropic API; no model was called. ' +
		`Your last message was ${asked.length} characters long.`;
}

function applyInvalidJson(text, variant) {
	if (variant === 'duplicate_key') {
		// Parses, but names one file twice, the second time with other
		// text: JSON parsers differ on which one counts.
		return text.replace(/}\s*$/,
			', "README.md": "# a second README.md (duplicate key from the csc Claude stand-in)"}');
	}
	if (variant === 'schema') {
		// Parses, but a required file is missing.
		try {
			const doc = JSON.parse(text);
			const target = isObject(doc.files) ? doc.files : doc;
			const drop = FILE_NAMES.find((n) => n in target) || Object.keys(target)[0];
			delete target[drop];
			return JSON.stringify(doc);
		} catch (e) {
			return text;
		}
	}
	// Does not parse: the closing brace is replaced by an unquoted word.
	return text.replace(/}\s*$/, ', "note": offline stand-in output}');
}

// cutToBudget(blocks, maxTokens): drop what does not fit in max_tokens, as
// the model stops mid-block; returns true when something was cut.
function cutToBudget(blocks, maxTokens) {
	let budget = maxTokens * 4;
	for (let i = 0; i < blocks.length; i++) {
		const b = blocks[i];
		const len = b.body.length;
		if (len <= budget) {
			budget -= len;
			continue;
		}
		b.body = b.body.slice(0, Math.max(0, budget));
		b.truncated = true;
		blocks.length = i + 1;
		return true;
	}
	return false;
}

// replyBlocks(body, plan, gen): the blocks of an ordinary reply, each with
// its text in .body: a thinking block when asked for, then a tool's JSON
// input, the JSON for the output schema, or the offline notice.
function replyBlocks(body, plan, gen) {
	const blocks = [];
	if (plan.thinking) {
		blocks.push({
			type: 'thinking',
			body: 'Offline stand-in: no reasoning took place; the reply below is ' +
				'generated from templates.',
			signature: crypto.randomBytes(48).toString('base64'),
		});
	}
	if (plan.tool) {
		const input = fillSchema(plan.tool.input_schema, gen, '', plan.tool.input_schema, 0);
		blocks.push({ type: 'tool_use', id: newId('toolu_01', 22), name: plan.tool.name,
			body: JSON.stringify(input) });
	} else if (plan.format) {
		const value = fillSchema(plan.format.schema, gen, '', plan.format.schema, 0);
		blocks.push({ type: 'text', body: JSON.stringify(value) });
	} else {
		blocks.push({ type: 'text', body: offlineText(body) });
	}
	return blocks;
}

// applyContentFault(reply, rule): the faults that change what the model
// "said": max_tokens (cut in half), refusal (a few words, then stop) and
// invalid_json (text that does not parse, or misses a required file).
function applyContentFault(reply, rule) {
	const fault = rule ? rule.fault : null;
	const main = reply.blocks[reply.blocks.length - 1];
	if (fault === 'invalid_json') {
		const variant = main.type === 'tool_use' ? 'schema' : rule.variant;
		main.body = applyInvalidJson(main.body, variant);
	} else if (fault === 'max_tokens') {
		main.body = main.body.slice(0, Math.floor(main.body.length / 2));
		main.truncated = true;
		reply.stopReason = 'max_tokens';
	} else if (fault === 'refusal') {
		reply.blocks = [{ type: 'text', body: main.body.slice(0, 40) }];
		reply.stopReason = 'refusal';
		reply.stopDetails = {
			type: 'refusal', category: null,
			explanation: 'This request was declined (a scripted refusal from the ' +
				'csc Claude stand-in).',
		};
	}
}

// usageFor(body, blocks, cache): the usage object, with the prompt cache's
// writes and reads taken out of input_tokens as the API reports them.
function usageFor(body, blocks, cache) {
	const cached = cache.account(body);
	return {
		input_tokens: Math.max(1, inputTokens(body) - cached.created - cached.read),
		cache_creation_input_tokens: cached.created,
		cache_read_input_tokens: cached.read,
		cache_creation: {
			ephemeral_5m_input_tokens: cached.ttl === '5m' ? cached.created : 0,
			ephemeral_1h_input_tokens: cached.ttl === '1h' ? cached.created : 0,
		},
		output_tokens: Math.max(1, blocks.reduce((n, b) => n + tokens(b.body), 0)),
		service_tier: 'standard',
	};
}

// composeReply(body, plan, rule, opts, cache): {blocks, stopReason,
// stopDetails, usage} for a validated request and its fault rule, if any.
function composeReply(body, plan, rule, opts, cache) {
	let size = opts.bundleBytes;
	if (rule && Number.isInteger(rule.bundle_bytes)) size = rule.bundle_bytes;
	else if (rule && rule.fault === 'big_bundle') size = 60000;
	let bundle = null;
	// The bundle is built at most once, and only if the schema asks for it.
	const gen = {
		bundle: () => bundle ||
			(bundle = buildBundle(describeService(lastUserText(body.messages)), size)),
	};
	const reply = {
		blocks: replyBlocks(body, plan, gen),
		stopReason: plan.tool ? 'tool_use' : 'end_turn',
		stopDetails: null,
	};
	if (cutToBudget(reply.blocks, body.max_tokens)) reply.stopReason = 'max_tokens';
	applyContentFault(reply, rule);
	reply.usage = usageFor(body, reply.blocks, cache);
	return reply;
}

// The content block as the API returns it in a whole message.
function finalBlock(b) {
	if (b.type === 'thinking') return { type: 'thinking', thinking: b.body, signature: b.signature };
	if (b.type === 'tool_use') {
		let input = {};
		try {
			input = b.truncated ? {} : JSON.parse(b.body);
		} catch (e) {
			input = {};
		}
		return { type: 'tool_use', id: b.id, name: b.name, input };
	}
	return { type: 'text', text: b.body };
}

function toMessage(id, model, reply) {
	return {
		id, type: 'message', role: 'assistant', model,
		content: reply.blocks.map(finalBlock),
		stop_reason: reply.stopReason,
		stop_sequence: null,
		stop_details: reply.stopDetails,
		usage: reply.usage,
	};
}

// splitText(text, rand): pieces of tens of characters, never splitting a
// surrogate pair, as the model's deltas arrive.
function splitText(text, rand) {
	const out = [];
	let i = 0;
	while (i < text.length) {
		let end = Math.min(text.length, i + between(rand, 8, 40));
		const code = text.charCodeAt(end - 1);
		if (code >= 0xd800 && code <= 0xdbff && end < text.length) end++;
		out.push(text.slice(i, end));
		i = end;
	}
	return out;
}

function startBlock(b) {
	if (b.type === 'thinking') return { type: 'thinking', thinking: '', signature: '' };
	if (b.type === 'tool_use') return { type: 'tool_use', id: b.id, name: b.name, input: {} };
	return { type: 'text', text: '' };
}

function deltaFor(b, piece) {
	if (b.type === 'thinking') return { type: 'thinking_delta', thinking: piece };
	if (b.type === 'tool_use') return { type: 'input_json_delta', partial_json: piece };
	return { type: 'text_delta', text: piece };
}

const PING_EVERY = 20;

// streamEvents(msg, reply, rand): the SSE events, in the API's order:
// message_start, then per block content_block_start / _delta... / _stop
// (a ping after the first block starts and every PING_EVERY deltas), then
// message_delta with the stop reason and cumulative usage, message_stop.
function streamEvents(msg, reply, rand) {
	const u = reply.usage;
	const events = [['message_start', {
		type: 'message_start',
		message: { ...msg, content: [], stop_reason: null, stop_sequence: null,
			stop_details: null, usage: { ...u, output_tokens: 1 } },
	}]];
	let deltas = 0;
	reply.blocks.forEach((b, index) => {
		events.push(['content_block_start',
			{ type: 'content_block_start', index, content_block: startBlock(b) }]);
		if (index === 0) events.push(['ping', { type: 'ping' }]);
		// The API opens a tool's input with an empty partial_json.
		const pieces = (b.type === 'tool_use' ? [''] : []).concat(splitText(b.body, rand));
		for (const piece of pieces) {
			events.push(['content_block_delta',
				{ type: 'content_block_delta', index, delta: deltaFor(b, piece) }]);
			if (++deltas % PING_EVERY === 0) events.push(['ping', { type: 'ping' }]);
		}
		if (b.type === 'thinking') {
			events.push(['content_block_delta', { type: 'content_block_delta', index,
				delta: { type: 'signature_delta', signature: b.signature } }]);
		}
		events.push(['content_block_stop', { type: 'content_block_stop', index }]);
	});
	events.push(['message_delta', {
		type: 'message_delta',
		delta: { stop_reason: reply.stopReason, stop_sequence: null,
			stop_details: reply.stopDetails },
		usage: {
			input_tokens: u.input_tokens,
			cache_creation_input_tokens: u.cache_creation_input_tokens,
			cache_read_input_tokens: u.cache_read_input_tokens,
			output_tokens: u.output_tokens,
		},
	}]);
	events.push(['message_stop', { type: 'message_stop' }]);
	return events;
}

function sse(events) {
	return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)
		.join('');
}

// ---------------------------------------------------------------------------
// Sending.  Replies go out in many small writes (7-90 bytes, cut anywhere:
// inside an event, a JSON string or a UTF-8 sequence), so a client's
// parser meets events split across reads.

function pieces(buf, rand) {
	const out = [];
	for (let i = 0; i < buf.length;) {
		const n = between(rand, 7, 90);
		out.push(buf.subarray(i, i + n));
		i += n;
	}
	return out;
}

// sendPieces(res, buf, how): write buf in pieces with how.delayMs between
// them; with how.dropAt, destroy the socket after that many bytes.
async function sendPieces(res, buf, how) {
	let sent = 0;
	for (const piece of pieces(buf, how.rand)) {
		if (res.destroyed || res.writableEnded) return;
		if (how.dropAt !== undefined && sent + piece.length > how.dropAt) {
			const head = piece.subarray(0, how.dropAt - sent);
			if (head.length) res.write(head);
			await sleep(20); // let the partial data leave before the reset
			if (res.socket) res.socket.destroy();
			return;
		}
		await sleep(how.delayMs);
		if (res.destroyed) return;
		if (!res.write(piece)) {
			await new Promise((resolve) => {
				res.once('drain', resolve);
				res.once('close', resolve);
			});
		}
		sent += piece.length;
	}
	if (!res.destroyed) res.end();
}

// ---------------------------------------------------------------------------
// Message Batches: created in_progress, ended after --batch-polls polls,
// results computed (with their faults) when the batch ends.

function batchView(batch, origin) {
	const ended = batch.status === 'ended';
	return {
		id: batch.id,
		type: 'message_batch',
		processing_status: batch.status,
		request_counts: batch.counts,
		ended_at: batch.endedAt,
		created_at: batch.createdAt,
		expires_at: batch.expiresAt,
		archived_at: null,
		cancel_initiated_at: batch.cancelAt,
		results_url: ended ? `${origin}/v1/messages/batches/${batch.id}/results` : null,
	};
}

// ---------------------------------------------------------------------------
// The server.

class StandIn {
	constructor(opts) {
		this.opts = opts;
		this.faults = new FaultScript(opts.faults);
		this.cache = new PromptCache(opts.cacheMinTokens);
		this.batches = new Map();
		this.window = { minute: -1, requests: 0, input: 0, output: 0 };
		this.requiredKey = process.env.CLAUDE_STANDIN_REQUIRE_KEY || null;
		this.port = 0;
		this.routes = [
			['POST', /^\/v1\/messages$/, (c) => this.messages(c)],
			['POST', /^\/v1\/messages\/count_tokens$/, (c) => this.countTokens(c)],
			['POST', /^\/v1\/messages\/batches$/, (c) => this.createBatch(c)],
			['GET', /^\/v1\/messages\/batches$/, (c) => this.listBatches(c)],
			['GET', /^\/v1\/messages\/batches\/([^/]+)$/, (c, id) => this.getBatch(c, id)],
			['GET', /^\/v1\/messages\/batches\/([^/]+)\/results$/,
				(c, id) => this.batchResults(c, id)],
			['POST', /^\/v1\/messages\/batches\/([^/]+)\/cancel$/,
				(c, id) => this.cancelBatch(c, id)],
			['DELETE', /^\/v1\/messages\/batches\/([^/]+)$/, (c, id) => this.deleteBatch(c, id)],
		];
	}

	// -- per-request plumbing ------------------------------------------------

	handle(req, res) {
		let url;
		try {
			url = new URL(req.url, 'http://127.0.0.1');
		} catch (e) {
			url = { pathname: req.url, search: '' }; // routes to a 404
		}
		const requestId = newId('req_011C', 24);
		// c: everything known about one request, handed to the handlers.
		const c = {
			req, res, t0: Date.now(), requestId, rand: prng(requestId),
			method: req.method, path: url.pathname, query: url.search,
			body: undefined, bodyError: null, stream: false, fault: null,
		};
		res.on('close', () => this.logRequest(c));
		const chunks = [];
		let size = 0;
		req.on('data', (chunk) => {
			size += chunk.length;
			if (size <= this.opts.maxBodyBytes) chunks.push(chunk);
		});
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			if (size > this.opts.maxBodyBytes) {
				c.bodyError = 'too large';
			} else if (raw.length > 0) {
				try {
					c.body = JSON.parse(raw);
				} catch (e) {
					c.bodyError = e.message;
				}
			}
			this.record(c, raw);
			this.dispatch(c, size).catch((e) => this.fail(c, e));
		});
		req.on('error', () => res.destroy());
	}

	async dispatch(c, size) {
		if (size > this.opts.maxBodyBytes)
			throw new ApiError(413, 'request_too_large',
				'Request exceeds the maximum allowed number of bytes.');
		let methodSeen = false;
		for (const [method, re, handler] of this.routes) {
			const m = re.exec(c.path);
			if (!m) continue;
			methodSeen = true;
			if (method !== c.method) continue;
			this.checkHeaders(c);
			return handler(c, ...m.slice(1));
		}
		if (methodSeen)
			throw new ApiError(405, 'invalid_request_error',
				`Method ${c.method} not allowed for ${c.path}`);
		throw new ApiError(404, 'not_found_error', 'Not found');
	}

	checkHeaders(c) {
		const h = c.req.headers;
		if (!h['anthropic-version'])
			throw invalid('anthropic-version: header is required');
		const key = h['x-api-key'];
		const bearer = /^Bearer\s+(\S.*)$/i.exec(h.authorization || '');
		if (!key && !bearer)
			throw new ApiError(401, 'authentication_error', 'x-api-key header is required');
		if (this.requiredKey && key !== this.requiredKey &&
			!(bearer && bearer[1] === this.requiredKey)) {
			throw new ApiError(401, 'authentication_error',
				key ? 'invalid x-api-key' : 'Invalid bearer token');
		}
	}

	jsonBody(c) {
		if (c.bodyError) throw invalid(`Request body is not valid JSON: ${c.bodyError}`);
		if (!isObject(c.body)) throw invalid('Request body must be a JSON object');
		return c.body;
	}

	// takeFault(c): the fault rule for this request, if any; an HTTP error
	// fault is thrown here, the others are returned to the handler.
	takeFault(c) {
		const rule = this.faults.take({
			path: c.path, method: c.method, stream: c.stream,
			model: isObject(c.body) ? c.body.model : undefined,
		});
		if (!rule) return null;
		c.fault = rule.fault;
		const error = faultError(rule);
		if (error) throw error;
		return rule;
	}

	// -- headers and bodies --------------------------------------------------

	rateHeaders(inputTokens, outputTokens) {
		const now = new Date();
		const minute = Math.floor(now.getTime() / 60000);
		if (minute !== this.window.minute)
			this.window = { minute, requests: 0, input: 0, output: 0 };
		this.window.requests++;
		this.window.input += inputTokens;
		this.window.output += outputTokens;
		const reset = new Date((minute + 1) * 60000).toISOString().replace(/\.\d+Z$/, 'Z');
		const limits = { requests: 4000, input: 2000000, output: 400000 };
		const left = (limit, used) => String(Math.max(0, limit - used));
		return {
			'anthropic-ratelimit-requests-limit': String(limits.requests),
			'anthropic-ratelimit-requests-remaining': left(limits.requests, this.window.requests),
			'anthropic-ratelimit-requests-reset': reset,
			'anthropic-ratelimit-input-tokens-limit': String(limits.input),
			'anthropic-ratelimit-input-tokens-remaining': left(limits.input, this.window.input),
			'anthropic-ratelimit-input-tokens-reset': reset,
			'anthropic-ratelimit-output-tokens-limit': String(limits.output),
			'anthropic-ratelimit-output-tokens-remaining': left(limits.output, this.window.output),
			'anthropic-ratelimit-output-tokens-reset': reset,
			'anthropic-ratelimit-tokens-limit': String(limits.input + limits.output),
			'anthropic-ratelimit-tokens-remaining':
				left(limits.input + limits.output, this.window.input + this.window.output),
			'anthropic-ratelimit-tokens-reset': reset,
		};
	}

	headers(c, contentType, extra) {
		return {
			'content-type': contentType,
			'request-id': c.requestId,
			'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
			'x-csc-standin': 'offline',
			...extra,
		};
	}

	// sendBytes(c, status, type, buf, headers, rule): the reply, in small
	// writes.  The transport faults act here: slow (delay_ms between writes),
	// drop (cut the connection after fraction of the bytes), hang (say
	// nothing at all, so the client's timeout has to fire).
	sendBytes(c, status, type, buf, headers, rule) {
		const fault = rule ? rule.fault : null;
		if (fault === 'hang') return Promise.resolve();
		const how = { rand: c.rand, delayMs: this.opts.chunkDelayMs };
		if (fault === 'slow') how.delayMs = Number.isInteger(rule.delay_ms) ? rule.delay_ms : 250;
		if (fault === 'drop') how.dropAt = dropPoint(rule, buf.length);
		const stream = type.startsWith('text/event-stream');
		const length = stream ? { 'cache-control': 'no-cache' }
			: { 'content-length': String(buf.length) };
		// 529 has no standard reason phrase; Node would say "unknown".
		const reason = http.STATUS_CODES[status] || 'Overloaded';
		c.res.writeHead(status, reason, this.headers(c, type, { ...length, ...headers }));
		if (stream) c.res.flushHeaders();
		return sendPieces(c.res, buf, how);
	}

	sendJson(c, status, obj, headers, rule) {
		return this.sendBytes(c, status, 'application/json', Buffer.from(JSON.stringify(obj)),
			headers, rule);
	}

	fail(c, e) {
		if (!(e instanceof ApiError)) {
			log(`internal error: ${e && e.stack ? e.stack : e}`);
			e = new ApiError(500, 'api_error', 'Internal server error');
		}
		if (c.res.headersSent) {
			c.res.destroy();
			return;
		}
		const headers = {
			'x-should-retry': String(shouldRetry(e.status)),
			...this.rateHeaders(0, 0),
			...e.headers,
		};
		this.sendJson(c, e.status, errorBody(e.type, e.message, c.requestId), headers)
			.catch(() => c.res.destroy());
	}

	// -- POST /v1/messages ---------------------------------------------------

	async messages(c) {
		const body = this.jsonBody(c);
		c.stream = body.stream === true;
		const plan = validateParams(body);
		const rule = this.takeFault(c);
		if (rule && rule.fault === 'stream_error' && !c.stream) {
			// A JSON reply cannot fail half-way: the error comes as a status.
			throw new ApiError(529, 'overloaded_error', 'Overloaded');
		}
		const reply = composeReply(body, plan, rule, this.opts, this.cache);
		const msg = toMessage(newId('msg_01', 22), body.model, reply);
		const rate = this.rateHeaders(reply.usage.input_tokens, reply.usage.output_tokens);
		if (!c.stream) return this.sendJson(c, 200, msg, rate, rule);
		let events = streamEvents(msg, reply, c.rand);
		if (rule && rule.fault === 'stream_error') events = withStreamError(events, rule);
		return this.sendBytes(c, 200, 'text/event-stream; charset=utf-8',
			Buffer.from(sse(events)), rate, rule);
	}

	countTokens(c) {
		const body = this.jsonBody(c);
		requireField(body, 'model');
		requireField(body, 'messages');
		validateMessages(body.messages);
		const rule = this.takeFault(c);
		return this.sendJson(c, 200, { input_tokens: inputTokens(body) },
			this.rateHeaders(0, 0), rule);
	}

	// -- Message Batches -----------------------------------------------------

	origin(c) {
		const host = c.req.headers.host || `127.0.0.1:${this.port}`;
		return `http://${host}`;
	}

	createBatch(c) {
		const body = this.jsonBody(c);
		const requests = body.requests;
		if (!Array.isArray(requests)) throw invalid('requests: Field required');
		if (requests.length === 0) throw invalid('requests: List should have at least 1 item');
		if (requests.length > 100000)
			throw invalid('requests: List should have at most 100000 items');
		const seen = new Set();
		requests.forEach((r, i) => {
			if (!isObject(r)) throw invalid(`requests.${i}: Input should be a valid dictionary`);
			if (typeof r.custom_id !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(r.custom_id))
				throw invalid(`requests.${i}.custom_id: String should match pattern ` +
					"'^[a-zA-Z0-9_-]{1,64}$'");
			if (seen.has(r.custom_id))
				throw invalid(`requests: Duplicate custom_id '${r.custom_id}'; ` +
					'custom_id values must be unique within a batch');
			seen.add(r.custom_id);
			if (!isObject(r.params)) throw invalid(`requests.${i}.params: Field required`);
		});
		const rule = this.takeFault(c);
		const now = new Date();
		const batch = {
			id: newId('msgbatch_01', 22),
			status: 'in_progress',
			polls: 0,
			requests,
			results: null,
			counts: { processing: requests.length, succeeded: 0, errored: 0, canceled: 0,
				expired: 0 },
			createdAt: now.toISOString(),
			expiresAt: new Date(now.getTime() + 24 * 3600e3).toISOString(),
			endedAt: null,
			cancelAt: null,
		};
		this.batches.set(batch.id, batch);
		return this.sendBatch(c, batch, rule);
	}

	sendBatch(c, batch, rule) {
		return this.sendJson(c, 200, batchView(batch, this.origin(c)), this.rateHeaders(0, 0),
			rule);
	}

	findBatch(id) {
		const batch = this.batches.get(id);
		if (!batch) throw new ApiError(404, 'not_found_error', `message_batch ${id} not found`);
		return batch;
	}

	getBatch(c, id) {
		const batch = this.findBatch(id);
		const rule = this.takeFault(c);
		batch.polls++;
		if (batch.status === 'canceling' ||
			(batch.status === 'in_progress' && batch.polls > this.opts.batchPolls))
			this.endBatch(batch);
		return this.sendBatch(c, batch, rule);
	}

	listBatches(c) {
		const rule = this.takeFault(c);
		const data = [...this.batches.values()].reverse().map((b) => batchView(b, this.origin(c)));
		const page = {
			data, has_more: false,
			first_id: data.length ? data[0].id : null,
			last_id: data.length ? data[data.length - 1].id : null,
		};
		return this.sendJson(c, 200, page, this.rateHeaders(0, 0), rule);
	}

	cancelBatch(c, id) {
		const batch = this.findBatch(id);
		const rule = this.takeFault(c);
		if (batch.status === 'in_progress') {
			batch.status = 'canceling';
			batch.cancelAt = new Date().toISOString();
		}
		return this.sendBatch(c, batch, rule);
	}

	deleteBatch(c, id) {
		const batch = this.findBatch(id);
		const rule = this.takeFault(c);
		if (batch.status !== 'ended')
			throw invalid(`Batch ${id} cannot be deleted while it is processing; cancel it first`);
		this.batches.delete(id);
		const deleted = { id, type: 'message_batch_deleted' };
		return this.sendJson(c, 200, deleted, this.rateHeaders(0, 0), rule);
	}

	// endBatch(batch): every request gets its result, the way a non-streaming
	// request would have gone, with the fault script's per-request faults
	// (rules matching {"path": "batch", "custom_id": ...}).
	endBatch(batch) {
		const canceling = batch.status === 'canceling';
		batch.results = batch.requests.map((r) => ({
			custom_id: r.custom_id,
			result: canceling ? { type: 'canceled' } : this.batchResult(r),
		}));
		const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
		for (const { result } of batch.results) counts[result.type]++;
		batch.counts = counts;
		batch.status = 'ended';
		batch.endedAt = new Date().toISOString();
		// The API does not keep results in request order; neither do we,
		// but the order is fixed for a batch so tests are reproducible.
		const rank = (r) => crypto.createHash('sha256').update(batch.id + r.custom_id)
			.digest('hex');
		batch.results.sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
	}

	// batchResult(request): {type: succeeded, message} | {type: errored,
	// error: {type: "error", error: {type, message}}} | {type: expired} ...
	batchResult(request) {
		const params = request.params;
		const rule = this.faults.take({
			path: 'batch', method: 'POST', stream: false, custom_id: request.custom_id,
			model: params.model,
		});
		const fault = rule ? rule.fault : null;
		if (fault === 'expired' || fault === 'canceled') return { type: fault };
		try {
			// A batch request has no stream to break: stream_error is a 529.
			const error = fault === 'stream_error'
				? new ApiError(529, 'overloaded_error', 'Overloaded') : faultError(rule);
			if (error) throw error;
			if (params.stream === true)
				throw invalid('stream: streaming is not supported in Message Batches');
			const plan = validateParams(params);
			const reply = composeReply(params, plan, rule, this.opts, this.cache);
			reply.usage.service_tier = 'batch';
			return { type: 'succeeded',
				message: toMessage(newId('msg_01', 22), params.model, reply) };
		} catch (e) {
			if (!(e instanceof ApiError)) throw e;
			return { type: 'errored',
				error: { type: 'error', error: { type: e.type, message: e.message } } };
		}
	}

	batchResults(c, id) {
		const batch = this.findBatch(id);
		const rule = this.takeFault(c);
		if (batch.status !== 'ended')
			throw invalid(`Batch ${id} has not finished processing; ` +
				'results are available once processing_status is "ended"');
		const text = batch.results.map((r) => JSON.stringify(r) + '\n').join('');
		return this.sendBytes(c, 200, 'application/binary', Buffer.from(text),
			this.rateHeaders(0, 0), rule);
	}

	// -- record and log ------------------------------------------------------

	// record(c, raw): one JSON line per request; key values are redacted but
	// which auth header was used is kept, so tests can check the client.
	record(c, raw) {
		if (!this.opts.record) return;
		const headers = {};
		for (const [name, value] of Object.entries(c.req.headers)) {
			headers[name] = name === 'x-api-key' || name === 'authorization' ||
				name === 'cookie' ? '<redacted>' : value;
		}
		const h = c.req.headers;
		const auth = h['x-api-key'] ? 'x-api-key'
			: /^Bearer\s/i.test(h.authorization || '') ? 'bearer' : null;
		const entry = {
			time: new Date(c.t0).toISOString(), request_id: c.requestId,
			method: c.method, path: c.path, query: c.query || undefined,
			headers, auth,
			body: c.body === undefined ? null : c.body,
			body_error: c.bodyError || undefined,
			raw_body: c.bodyError && c.bodyError !== 'too large' ? raw.slice(0, 4096) : undefined,
		};
		try {
			fs.appendFileSync(this.opts.record, JSON.stringify(entry) + '\n');
		} catch (e) {
			log(`cannot record to ${this.opts.record}: ${e.message}`);
		}
	}

	logRequest(c) {
		const status = c.res.headersSent ? c.res.statusCode : '-';
		const done = c.res.writableFinished ? '' : ' (cut)';
		log(`${c.method} ${c.path} ${status}${done}${c.stream ? ' stream' : ''}` +
			`${c.fault ? ` fault=${c.fault}` : ''} ${Date.now() - c.t0}ms ${c.requestId}`);
	}
}

function dropPoint(rule, length) {
	const fraction = typeof rule.fraction === 'number' ? rule.fraction : 0.5;
	return Math.max(1, Math.min(length - 1, Math.floor(length * fraction)));
}

// withStreamError(events, rule): the first few events, then an error event
// (overloaded_error unless the rule names another type), and no more.
function withStreamError(events, rule) {
	const after = Number.isInteger(rule.after_events) ? rule.after_events : 5;
	const type = rule.error_type || 'overloaded_error';
	const message = rule.message || (type === 'overloaded_error' ? 'Overloaded'
		: 'Scripted stream error');
	return events.slice(0, Math.min(after, events.length - 2))
		.concat([['error', { type: 'error', error: { type, message } }]]);
}

// ---------------------------------------------------------------------------

function writePortFile(file, port) {
	const tmp = `${file}.${process.pid}.tmp`;
	fs.writeFileSync(tmp, `${port}\n`);
	fs.renameSync(tmp, file); // readers never see a half-written port
}

function main() {
	const opts = parseArgs(process.argv.slice(2));
	const standin = new StandIn(opts);
	const server = http.createServer({ noDelay: true }, (req, res) => standin.handle(req, res));
	server.on('error', (e) => {
		log(`cannot listen on 127.0.0.1:${opts.port}: ${e.message}`);
		process.exit(69); // EX_UNAVAILABLE
	});
	server.listen(opts.port, '127.0.0.1', () => {
		standin.port = server.address().port;
		if (opts.portFile) writePortFile(opts.portFile, standin.port);
		log(`listening on 127.0.0.1:${standin.port} (offline Anthropic API stand-in)`);
	});
	const stop = (signal) => {
		log(`${signal}: shutting down`);
		server.close(() => process.exit(0));
		server.closeAllConnections();
		setTimeout(() => process.exit(0), 2000).unref();
	};
	process.on('SIGTERM', () => stop('SIGTERM'));
	process.on('SIGINT', () => stop('SIGINT'));
}

// Run as a program; required as a module (for a quick look at the
// generators from node -e), export the pure parts instead.
if (require.main === module) main();
else module.exports = { buildBundle, describeService, fillSchema, streamEvents, sse };
