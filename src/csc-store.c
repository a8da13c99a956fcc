/*
 * csc-store: csc's records in DynamoDB and its code bundles in S3 (SPEC
 * section 5), one subcommand per operation, JSON in and JSON out.
 *
 *   csc-store init                          table and bucket, idempotent
 *   csc-store put-conversation < state      conditional on its version
 *   csc-store get-conversation ID
 *   csc-store put-code < bundle             objects, then metadata
 *   csc-store get-code [--content] S C
 *   csc-store get-code --api S C            the HTTP API's status answer
 *   csc-store generate --api S C < body     the HTTP API's generate
 *   csc-store claim-job S C --lease N       ... and the other job verbs
 *   csc-store sweep-orphans                 objects no item records
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "deadline.h"
#include "env.h"
#include "err.h"
#include "http.h"
#include "interview.h"
#include "jsonio.h"
#include "num.h"
#include "presign.h"
#include "sigv4.h"
#include "store.h"

/* put-code reads six whole files: more than the usual 1 MiB of input. */
#define BUNDLE_LIMIT ((size_t)64 << 20)
#define LEASE_MAX 86400L
#define ORPHAN_AGE 86400L /* s: older unrecorded objects are orphans */

enum cmd {
	INIT,
	PUT_CONVERSATION,
	GET_CONVERSATION,
	DELETE_CONVERSATION,
	START,
	MESSAGE,
	PUT_CODE,
	GET_CODE,
	EXPORT,
	GET_SERVICE,
	DELETE_SERVICE,
	PUT_JOB,
	GENERATE,
	CLAIM_JOB,
	RENEW_JOB,
	FINISH_JOB,
	LIST_JOBS,
	SWEEP_ORPHANS,
	PUT_IDEMPOTENCY,
	DELETE_IDEMPOTENCY,
	GET_BUDGET,
	ADD_SPEND
};

/* Each subcommand: its name, how many ids it takes, whether it reads
 * standard input and needs S3. */
static const struct command {
	const char *name;
	enum cmd cmd;
	int nids;
	int reads_stdin;
	int needs_s3;
} commands[] = {
    {"init", INIT, 0, 0, 1},
    {"put-conversation", PUT_CONVERSATION, 0, 1, 0},
    {"get-conversation", GET_CONVERSATION, 1, 0, 0},
    {"delete-conversation", DELETE_CONVERSATION, 1, 0, 0},
    {"start", START, 0, 1, 0},
    {"message", MESSAGE, 0, 1, 0},
    {"put-code", PUT_CODE, 0, 1, 1},
    {"get-code", GET_CODE, 2, 0, 1},
    {"export", EXPORT, 2, 0, 1},
    {"get-service", GET_SERVICE, 1, 0, 0},
    {"delete-service", DELETE_SERVICE, 1, 0, 1},
    {"put-job", PUT_JOB, 0, 1, 0},
    {"generate", GENERATE, 2, 1, 0},
    {"claim-job", CLAIM_JOB, 2, 0, 0},
    {"renew-job", RENEW_JOB, 2, 0, 0},
    {"finish-job", FINISH_JOB, 2, 0, 0},
    {"list-jobs", LIST_JOBS, 0, 0, 0},
    {"sweep-orphans", SWEEP_ORPHANS, 0, 0, 1},
    {"put-idempotency", PUT_IDEMPOTENCY, 0, 1, 0},
    {"delete-idempotency", DELETE_IDEMPOTENCY, 0, 1, 0},
    {"get-budget", GET_BUDGET, 0, 0, 0},
    {"add-spend", ADD_SPEND, 1, 0, 0},
};

struct options {
	const struct command *c;
	const char *ids[2];
	enum store_files files; /* get-code */
	const char *dir;        /* export */
	long lease;             /* claim-job, renew-job */
	const char *token;      /* put-code, renew-job, finish-job */
	long older_than;        /* sweep-orphans */
	int dry_run;            /* sweep-orphans */
	const char *status;     /* finish-job */
	const char *error;      /* finish-job */
	int expired;            /* list-jobs */
	long parallel;          /* put-code */
	int ids_from_stdin;     /* "-": ids named in a JSON object on stdin */
	int api;                /* start, message, get-code, generate: the
	                           HTTP API's answer */
	int complete; /* put-job: service_data as csc-ask completes it */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: csc-store [-v] init\n"
	    "       csc-store [-v] put-conversation < state.json\n"
	    "       csc-store [-v] get-conversation ID | -\n"
	    "       csc-store [-v] delete-conversation ID\n"
	    "       csc-store [-v] start [--api] < api-start.json\n"
	    "       csc-store [-v] message [--api] < api-message.json\n"
	    "       csc-store [-v] put-code [--parallel N] [--token T] < bundle.json\n"
	    "       csc-store [-v] get-code [--content | --check | --api] SERVICE CODE\n"
	    "       csc-store [-v] export SERVICE CODE --dir DIR\n"
	    "       csc-store [-v] get-service ID\n"
	    "       csc-store [-v] delete-service ID\n"
	    "       csc-store [-v] put-job [--complete] < job.json\n"
	    "       csc-store [-v] generate [--api] SERVICE CODE < api-generate.json\n"
	    "       csc-store [-v] claim-job SERVICE CODE --lease SECONDS\n"
	    "       csc-store [-v] renew-job SERVICE CODE --token T --lease SECONDS\n"
	    "       csc-store [-v] finish-job SERVICE CODE --status done|failed\n"
	    "                      [--error TEXT] [--token T]\n"
	    "       csc-store [-v] list-jobs [--expired]\n"
	    "       csc-store [-v] sweep-orphans [--older-than SECONDS] [--dry-run]\n"
	    "       csc-store [-v] put-idempotency < key.json\n"
	    "       csc-store [-v] delete-idempotency < key.json\n"
	    "       csc-store [-v] get-budget\n"
	    "       csc-store [-v] add-spend USD\n"
	    "\n"
	    "csc's records in DynamoDB (CSC_TABLE, default CloudServiceCreator)\n"
	    "and code bundles in S3 (CSC_BUCKET, default\n"
	    "cloudservicecreator-code).  JSON in on standard input, JSON out on\n"
	    "standard output; ids are lowercase UUIDs.  An id operand \"-\"\n"
	    "takes the ids from a JSON object on standard input\n"
	    "(conversation_id, service_id, code_id).  See csc-store(1).\n"
	    "\n"
	    "  -v, --verbose  log requests on standard error\n"
	    "  -h, --help     this text\n"
	    "  -V, --version  the version\n");
}

/* The subcommand's own options and ids, from ARGV[0] (its name) on.
 * Returns 0, or -1 after err_set(EX_USAGE, ...). */
static int
parse_command(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
	    {"content", no_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'k'},
	    {"dir", required_argument, NULL, 'd'},
	    {"lease", required_argument, NULL, 'l'},
	    {"status", required_argument, NULL, 's'},
	    {"error", required_argument, NULL, 'e'},
	    {"expired", no_argument, NULL, 'x'},
	    {"parallel", required_argument, NULL, 'p'},
	    {"api", no_argument, NULL, 'A'},
	    {"complete", no_argument, NULL, 'C'},
	    {"token", required_argument, NULL, 't'},
	    {"older-than", required_argument, NULL, 'o'},
	    {"dry-run", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
	const char *allowed;
	long long v;
	size_t i;
	int c, nids = 0;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			o->c = &commands[i];
	if (o->c == NULL) {
		err_set(EX_USAGE, "unknown command '%.64s' (try --help)",
		    argv[0]);
		return (-1);
	}
	switch (o->c->cmd) {
	case GET_CODE:
		allowed = "ckA";
		break;
	case PUT_JOB:
		allowed = "C";
		break;
	case EXPORT:
		allowed = "d";
		break;
	case CLAIM_JOB:
		allowed = "l";
		break;
	case RENEW_JOB:
		allowed = "lt";
		break;
	case FINISH_JOB:
		allowed = "set";
		break;
	case SWEEP_ORPHANS:
		allowed = "on";
		break;
	case LIST_JOBS:
		allowed = "x";
		break;
	case PUT_CODE:
		allowed = "pt";
		break;
	case START:
	case MESSAGE:
	case GENERATE:
		allowed = "A";
		break;
	default:
		allowed = "";
		break;
	}
	optind = 0; /* GNU getopt: start afresh on the subcommand's words */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == '?' || c == ':' || strchr(allowed, c) == NULL) {
			err_set(EX_USAGE, "%s: %s option %s", o->c->name,
			    c == ':' ? "missing value for" : "unknown",
			    argv[optind - 1]);
			return (-1);
		}
		switch (c) {
		case 'c':
			o->files = STORE_CONTENT;
			break;
		case 'k':
			o->files = STORE_CHECK;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 's':
			o->status = optarg;
			break;
		case 'e':
			o->error = optarg;
			break;
		case 'x':
			o->expired = 1;
			break;
		case 'A':
			o->api = 1;
			break;
		case 'C':
			o->complete = 1;
			break;
		case 't':
			o->token = optarg;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'o':
			if (num_parse(optarg, 0, 100L * 365 * 86400, &v)) {
				err_set(EX_USAGE,
				    "--older-than must be a number of seconds");
				return (-1);
			}
			o->older_than = (long)v;
			break;
		case 'l':
			if (num_parse(optarg, 1, LEASE_MAX, &v)) {
				err_set(EX_USAGE,
				    "--lease must be 1..%ld seconds",
				    LEASE_MAX);
				return (-1);
			}
			o->lease = (long)v;
			break;
		case 'p':
			if (num_parse(optarg, 1, 16, &v)) {
				err_set(EX_USAGE, "--parallel must be 1..16");
				return (-1);
			}
			o->parallel = (long)v;
			break;
		}
	}
	/* "-" alone: the ids come from the JSON object on standard input
	 * (the HTTP API's request body), by their names. */
	if (o->c->nids > 0 && argc - optind == 1 &&
	    strcmp(argv[optind], "-") == 0) {
		o->ids_from_stdin = 1;
		return (0);
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		if (nids == o->c->nids) {
			err_set(EX_USAGE, "%s: unexpected argument '%.64s'",
			    o->c->name, argv[i]);
			return (-1);
		}
		o->ids[nids++] = argv[i];
	}
	if (nids < o->c->nids) {
		err_set(EX_USAGE, "%s: expected %d id%s (try --help)",
		    o->c->name, o->c->nids, o->c->nids > 1 ? "s" : "");
		return (-1);
	}
	if (o->api && o->files != STORE_META_ONLY) {
		err_set(EX_USAGE,
		    "%s: --api answers without the files' content", o->c->name);
		return (-1);
	}
	if ((o->c->cmd == EXPORT && o->dir == NULL) ||
	    ((o->c->cmd == CLAIM_JOB || o->c->cmd == RENEW_JOB) &&
	        o->lease == 0) ||
	    (o->c->cmd == RENEW_JOB && o->token == NULL) ||
	    (o->c->cmd == FINISH_JOB && o->status == NULL)) {
		err_set(EX_USAGE, "%s: %s is required", o->c->name,
		    o->c->cmd == EXPORT       ? "--dir"
		    : o->c->cmd == FINISH_JOB ? "--status"
		    : o->lease == 0           ? "--lease"
		                              : "--token");
		return (-1);
	}
	return (0);
}

/* The global options; returns the index of the subcommand, 0 when done
 * (--help, --version), -1 after a usage error. */
static int
parse_options(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			err_set_verbose(1);
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'V':
			printf("csc-store %s\n", CSC_VERSION);
			return (0);
		default:
			err_set(EX_USAGE, "unknown option %s (try --help)",
			    argv[optind - 1]);
			return (-1);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		err_set(EX_USAGE, "no command given");
		return (-1);
	}
	return (optind);
}

/* The ids of O's command, by name, from the JSON object on standard
 * input; *IN keeps the document (the ids point into it). */
static int
ids_from(struct options *o, cJSON **in)
{
	static const char *const conv[] = {"conversation_id", NULL};
	static const char *const svc[] = {"service_id", NULL};
	static const char *const code[] = {"service_id", "code_id"};
	const char *const *names;
	size_t limit;
	int i;

	switch (o->c->cmd) {
	case GET_CONVERSATION:
	case DELETE_CONVERSATION:
		names = conv;
		break;
	case GET_SERVICE:
	case DELETE_SERVICE:
		names = svc;
		break;
	default:
		names = code;
		break;
	}
	if (jsonio_limit(&limit) || (*in = jsonio_read(stdin, limit)) == NULL)
		return (-1);
	if (!cJSON_IsObject(*in)) {
		err_set(EX_DATAERR, "the request must be a JSON object");
		return (-1);
	}
	for (i = 0; i < o->c->nids; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(*in,
		    names[i]);

		if (v == NULL) {
			err_set(EX_DATAERR, "%s is missing", names[i]);
			return (-1);
		}
		if (!cJSON_IsString(v)) {
			err_set(EX_DATAERR,
			    "%s must be a string (a lowercase UUID)", names[i]);
			return (-1);
		}
		o->ids[i] = v->valuestring;
	}
	return (0);
}

/* The conversation STATE answered as the API request BODY asks, as
 * csc-ask answers its message request, into *NEXT.  The stored state
 * replaces any "conversation" BODY brought.  Returns 0, or -1 after
 * err_set. */
static int
answer(const struct interview *q, const cJSON *body, const cJSON *state,
    cJSON **next)
{
	cJSON *req;
	int rc;

	*next = NULL;
	if ((req = cJSON_Duplicate(body, 1)) == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	rc = 0;
	if (jsonio_set(req, "conversation", cJSON_Duplicate(state, 1)) ||
	    interview_request(q, req, clock_now(), next))
		rc = -1;
	cJSON_Delete(req);
	return (rc);
}

/* Whether NEXT, the answered STATE, is STATE again: the request repeated
 * the last accepted answer, and there is nothing to write. */
static int
is_repeat(const cJSON *state, const cJSON *next)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(state, "version");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(next, "version");

	return (cJSON_IsNumber(a) && cJSON_IsNumber(b) &&
	        a->valuedouble == b->valuedouble);
}

/* After the write of the answer BODY to conversation ID was refused:
 * the state read again, and if BODY repeats its last accepted answer (an
 * identical answer won the race, or ours landed and its reply was lost),
 * that state's reply.  NULL if not, leaving the refusal the error. */
static cJSON *
after_conflict(struct store *st, const struct interview *q, const cJSON *body,
    const char *id)
{
	cJSON *state, *next = NULL;

	if ((state = store_get_conversation(st, id)) == NULL ||
	    answer(q, body, state, &next) || !is_repeat(state, next)) {
		cJSON_Delete(state);
		cJSON_Delete(next);
		return (NULL);
	}
	cJSON_Delete(state);
	err_clear(); /* the refusal was no conflict after all */
	return (next);
}

/*
 * message: the HTTP API's {"action":"message", conversation_id, message,
 * step} in one process, where it would take three (get-conversation,
 * csc-ask, put-conversation) and their start-up: the stored conversation,
 * the answer applied exactly as csc-ask applies it, and the new state
 * written over the version read.  A repeat of the last accepted answer (a
 * retry, whether or not the first reply arrived) writes nothing and gets
 * the reply the first got, from the stored state; so do identical answers
 * sent at once, of which one is written.  Prints the new state.
 */
static cJSON *
message(struct store *st, const cJSON *body)
{
	const char *action = jsonio_string(body, "action");
	const char *id = jsonio_string(body, "conversation_id");
	struct interview *q = NULL;
	cJSON *state = NULL, *next = NULL, *out = NULL;

	if (!cJSON_IsObject(body) || action == NULL ||
	    strcmp(action, "message") != 0) {
		err_set(EX_DATAERR, "the request must be an object with "
		                    "\"action\": \"message\"");
		return (NULL);
	}
	if ((state = store_get_conversation(st, id)) == NULL ||
	    (q = interview_load_default()) == NULL ||
	    answer(q, body, state, &next))
		goto done;
	if (is_repeat(state, next)) {
		out = next;
		next = NULL;
		goto done;
	}
	/* Refused, the write may have lost to this very answer: quiet until
	 * that is known. */
	err_quiet(1);
	out = store_put_conversation(st, next);
	if (out == NULL && err_code() == CSC_EX_CONFLICT)
		out = after_conflict(st, q, body, id);
	err_quiet(0);
	if (out == NULL)
		err_flush();
done:
	interview_free(q);
	cJSON_Delete(next);
	cJSON_Delete(state);
	return (out);
}

/* start: the HTTP API's {"action":"start"}: a new conversation, made as
 * csc-ask makes it, stored.  Prints its state. */
static cJSON *
start(struct store *st, const cJSON *body)
{
	const char *action = jsonio_string(body, "action");
	struct interview *q;
	cJSON *state = NULL, *out = NULL;

	if (action == NULL || strcmp(action, "start") != 0) {
		err_set(EX_DATAERR, "the request must be an object with "
		                    "\"action\": \"start\"");
		return (NULL);
	}
	if ((q = interview_load_default()) == NULL)
		return (NULL);
	/* Through the request form, so the body is checked as csc-ask
	 * checks it (unknown or repeated members refused). */
	if (interview_request(q, body, clock_now(), &state) == 0)
		out = store_put_conversation(st, state);
	cJSON_Delete(state);
	interview_free(q);
	return (out);
}

/* --api: the answer csc-api sends for a conversation STATE (taken), as
 * SPEC section 8 has it: {conversation_id, step, total_steps, question}
 * for a start; for a message also "done": false while it is open, and
 * {conversation_id, done: true, service_data} once complete. */
static cJSON *
api_view(cJSON *state, int with_done)
{
	static const char *const open_fields[] = {"step", "total_steps",
	    "question"};
	const char *status = jsonio_string(state, "status");
	int done = status != NULL && strcmp(status, "complete") == 0;
	cJSON *out = cJSON_CreateObject(), *v;
	size_t i;

	if (out == NULL ||
	    !cJSON_AddItemToObject(out, "conversation_id",
	        cJSON_DetachItemFromObjectCaseSensitive(state,
	            "conversation_id")) ||
	    (with_done && !cJSON_AddBoolToObject(out, "done", done)))
		goto fail;
	if (done) {
		if ((v = cJSON_DetachItemFromObjectCaseSensitive(state,
		         "service_data")) == NULL ||
		    !cJSON_AddItemToObject(out, "service_data", v))
			goto fail;
	} else {
		for (i = 0; i < sizeof(open_fields) / sizeof(open_fields[0]);
		     i++)
			if ((v = cJSON_DetachItemFromObjectCaseSensitive(state,
			         open_fields[i])) != NULL)
				cJSON_AddItemToObject(out, open_fields[i], v);
	}
	cJSON_Delete(state);
	return (out);
fail:
	cJSON_Delete(out);
	cJSON_Delete(state);
	err_set(EX_SOFTWARE, "out of memory");
	return (NULL);
}

/* get-code --api: the answer of the HTTP API's status action for the code
 * item DOC (taken), as SPEC section 8 has it: service_id, code_id, status,
 * error and attempts where DOC has them (not null), and once it is done
 * its files as {name, size, sha256, url, expires_at}, each URL presigned
 * as csc-presign --attachment signs it, for CSC_URL_TTL seconds (default
 * 3600), with the store's own AWS client (its credentials are loaded
 * once).  One process, where get-code, csc-presign and a filter were
 * three.  NULL after err_set. */
static cJSON *
code_api_view(struct store *st, cJSON *doc)
{
	static const char *const fields[] = {"service_id", "code_id", "status",
	    "error", "attempts"};
	static const char *const file_fields[] = {"name", "size", "sha256"};
	const char *status = jsonio_string(doc, "status");
	const char *bucket = jsonio_string(doc, "bucket"), *key, *name, *vid,
	           *url;
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files");
	const cJSON *rec;
	struct presigner p;
	char expires_at[21];
	cJSON *out, *list, *f, *v;
	time_t now;
	long ttl;
	size_t i;
	int done = status != NULL && strcmp(status, "done") == 0, signer = 0;

	if (doc == NULL)
		return (NULL);
	if ((out = cJSON_CreateObject()) == NULL)
		goto nomem;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(doc, fields[i]);
		if (v != NULL && !cJSON_IsNull(v) &&
		    !cJSON_AddItemToObject(out, fields[i],
		        cJSON_Duplicate(v, 1)))
			goto nomem;
	}
	if (!done)
		goto ok;
	if (!cJSON_IsArray(files) || bucket == NULL) {
		err_set(EX_UNAVAILABLE, "code %s/%s is done but lists no files",
		    jsonio_string(doc, "service_id"),
		    jsonio_string(doc, "code_id"));
		goto fail;
	}
	now = clock_now();
	if (env_long("CSC_URL_TTL", 1, SIGV4_MAX_EXPIRES, 3600, &ttl))
		goto fail;
	if (clock_rfc3339(now + ttl, expires_at)) {
		err_set(EX_CONFIG,
		    "the expiry time (now + %ld s) is out of range", ttl);
		goto fail;
	}
	if (presigner_init(&p, &st->aws, "GET", (unsigned)ttl))
		goto fail;
	signer = 1;
	if ((list = cJSON_AddArrayToObject(out, "files")) == NULL)
		goto nomem;
	cJSON_ArrayForEach(rec, files) {
		key = jsonio_string(rec, "key");
		name = jsonio_string(rec, "name");
		if (key == NULL || *key == '\0' || name == NULL ||
		    *name == '\0') {
			err_set(EX_UNAVAILABLE,
			    "code %s/%s: a file record lacks "
			    "its key or name",
			    jsonio_string(doc, "service_id"),
			    jsonio_string(doc, "code_id"));
			goto fail;
		}
		/* Saved under its own name, as csc-presign --attachment has it;
		 * the version the record names, as csc-presign pins it. */
		vid = jsonio_string(rec, "version_id");
		if ((url = presign_url(&p, bucket, key,
		         vid != NULL && *vid != '\0' ? vid : NULL, name,
		         now)) == NULL)
			goto fail;
		if ((f = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(list, f))
			goto nomem;
		for (i = 0; i < sizeof(file_fields) / sizeof(file_fields[0]);
		     i++) {
			v = cJSON_GetObjectItemCaseSensitive(rec,
			    file_fields[i]);
			if (!cJSON_AddItemToObject(f, file_fields[i],
			        v != NULL ? cJSON_Duplicate(v, 1)
			                  : cJSON_CreateNull()))
				goto nomem;
		}
		if (!cJSON_AddStringToObject(f, "url", url) ||
		    !cJSON_AddStringToObject(f, "expires_at", expires_at))
			goto nomem;
	}
ok:
	if (signer)
		presigner_free(&p);
	cJSON_Delete(doc);
	return (out);
nomem:
	err_set(EX_SOFTWARE, "out of memory");
fail:
	if (signer)
		presigner_free(&p);
	cJSON_Delete(out);
	cJSON_Delete(doc);
	return (NULL);
}

/* put-job --complete: the job IN with its service_data checked and
 * completed as csc-ask complete does it (the HTTP API's generate with a
 * service_data: one process where csc-ask and put-job were two), then
 * stored as put-job stores it.  NULL after err_set: EX_DATAERR for a
 * service_data the interview would not accept. */
static cJSON *
put_job_complete(struct store *st, const cJSON *in)
{
	struct interview *q;
	cJSON *done = NULL, *job = NULL, *sd, *out = NULL;

	if (!cJSON_IsObject(in)) {
		err_set(EX_DATAERR, "a job must be a JSON object");
		return (NULL);
	}
	if ((q = interview_load_default()) == NULL)
		return (NULL);
	if (interview_complete(q,
	        cJSON_GetObjectItemCaseSensitive(in, "service_data"), &done))
		goto done;
	sd = cJSON_DetachItemFromObjectCaseSensitive(done, "service_data");
	if ((job = cJSON_Duplicate(in, 1)) == NULL ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(job, "service_data", sd)) {
		cJSON_Delete(sd);
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	out = store_put_job(st, job);
done:
	cJSON_Delete(job);
	cJSON_Delete(done);
	interview_free(q);
	return (out);
}

/* step_of(STATE, NAME): STATE's number NAME, for a message; 0 when it
 * has none. */
static int
step_of(const cJSON *state, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(state, name);

	return (cJSON_IsNumber(v) ? v->valueint : 0);
}

/*
 * generate: the HTTP API's {"action":"generate", conversation_id?,
 * service_data?, wait?} in one process, as the job SERVICE/CODE: the
 * body's service_data checked and completed as csc-ask completes it
 * (put-job --complete), or else the service_data of the conversation it
 * names.  A conversation_id must name a stored, complete conversation,
 * with a service_data too: a job never points at a conversation that is
 * not there, nor at an interview still open.  The body is read here,
 * before any filter interprets it, so a member given twice is refused
 * wherever it is.  "wait" is csc-api's business, and other members are
 * not looked at.  Prints the job as put-job does.  NULL after err_set:
 * EX_DATAERR for a bad body or service_data, EX_NOINPUT for a
 * conversation not stored (or expired), CSC_EX_CONFLICT for one not
 * complete or a job that exists already.
 */
static cJSON *
generate(struct store *st, const cJSON *body, const char *service,
    const char *code)
{
	const char *action = jsonio_string(body, "action"), *status;
	const cJSON *conv, *sd;
	cJSON *state = NULL, *job = NULL, *out = NULL, *v;

	if (!cJSON_IsObject(body) || action == NULL ||
	    strcmp(action, "generate") != 0) {
		err_set(EX_DATAERR, "the request must be an object with "
		                    "\"action\": \"generate\"");
		return (NULL);
	}
	conv = cJSON_GetObjectItemCaseSensitive(body, "conversation_id");
	sd = cJSON_GetObjectItemCaseSensitive(body, "service_data");
	if (conv == NULL || cJSON_IsNull(conv)) {
		if (sd == NULL) {
			err_set(EX_DATAERR, "conversation_id is missing (or "
			                    "give a service_data)");
			return (NULL);
		}
	} else {
		if (!cJSON_IsString(conv)) {
			err_set(EX_DATAERR, "conversation_id must be a string "
			                    "(a lowercase UUID)");
			return (NULL);
		}
		if ((state = store_get_conversation(st, conv->valuestring)) ==
		    NULL)
			return (NULL);
		status = jsonio_string(state, "status");
		if (status == NULL || strcmp(status, "complete") != 0) {
			err_set(CSC_EX_CONFLICT,
			    "conversation %s is not complete: it is at "
			    "step %d of %d",
			    conv->valuestring, step_of(state, "step"),
			    step_of(state, "total_steps"));
			goto done;
		}
	}
	v = sd != NULL ? cJSON_Duplicate(sd, 1)
	               : cJSON_DetachItemFromObjectCaseSensitive(state,
	                     "service_data");
	if (v == NULL && sd == NULL) {
		err_set(EX_SOFTWARE,
		    "conversation %s is complete but holds "
		    "no service_data",
		    conv->valuestring);
		goto done;
	}
	if ((job = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(job, "service_data", v)) {
		cJSON_Delete(v);
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	if (!cJSON_AddStringToObject(job, "service_id", service) ||
	    !cJSON_AddStringToObject(job, "code_id", code) ||
	    !cJSON_AddItemToObject(job, "conversation_id",
	        state != NULL ? cJSON_CreateString(conv->valuestring)
	                      : cJSON_CreateNull())) {
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	out = sd != NULL ? put_job_complete(st, job) : store_put_job(st, job);
done:
	cJSON_Delete(job);
	cJSON_Delete(state);
	return (out);
}

/* generate --api: the HTTP API's 202 answer for the job OUT (taken),
 * {service_id, code_id, status: "pending"}. */
static cJSON *
generate_api_view(cJSON *job)
{
	static const char *const fields[] = {"service_id", "code_id", "status"};
	cJSON *out = cJSON_CreateObject(), *v;
	size_t i;

	for (i = 0; out != NULL && i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((v = cJSON_DetachItemFromObjectCaseSensitive(job,
		         fields[i])) == NULL ||
		    !cJSON_AddItemToObject(out, fields[i], v)) {
			cJSON_Delete(v);
			cJSON_Delete(out);
			out = NULL;
		}
	cJSON_Delete(job);
	if (out == NULL)
		err_set(EX_SOFTWARE, "the job lacks its ids or status");
	return (out);
}

static cJSON *
run(struct store *st, const struct options *o, const cJSON *in)
{
	cJSON *out;

	switch (o->c->cmd) {
	case INIT:
		return (store_init(st));
	case PUT_CONVERSATION:
		return (store_put_conversation(st, in));
	case START:
		out = start(st, in);
		return (o->api && out != NULL ? api_view(out, 0) : out);
	case MESSAGE:
		out = message(st, in);
		return (o->api && out != NULL ? api_view(out, 1) : out);
	case GET_CONVERSATION:
		return (store_get_conversation(st, o->ids[0]));
	case DELETE_CONVERSATION:
		return (store_delete_conversation(st, o->ids[0]));
	case PUT_CODE:
		return (store_put_code(st, in, o->token));
	case GET_CODE:
		out = store_get_code(st, o->ids[0], o->ids[1], o->files);
		return (o->api ? code_api_view(st, out) : out);
	case EXPORT:
		return (store_export(st, o->ids[0], o->ids[1], o->dir));
	case GET_SERVICE:
		return (store_get_service(st, o->ids[0]));
	case DELETE_SERVICE:
		return (store_delete_service(st, o->ids[0]));
	case PUT_JOB:
		return (o->complete ? put_job_complete(st, in)
		                    : store_put_job(st, in));
	case GENERATE:
		out = generate(st, in, o->ids[0], o->ids[1]);
		return (o->api && out != NULL ? generate_api_view(out) : out);
	case CLAIM_JOB:
		return (store_claim_job(st, o->ids[0], o->ids[1], o->lease));
	case FINISH_JOB:
		return (store_finish_job(st, o->ids[0], o->ids[1], o->status,
		    o->error, o->token));
	case RENEW_JOB:
		return (store_renew_job(st, o->ids[0], o->ids[1], o->token,
		    o->lease));
	case LIST_JOBS:
		return (store_list_jobs(st, o->expired));
	case SWEEP_ORPHANS:
		return (store_sweep_orphans(st, o->older_than, o->dry_run));
	case PUT_IDEMPOTENCY:
		return (store_put_idempotency(st, in));
	case DELETE_IDEMPOTENCY:
		return (store_delete_idempotency(st, in));
	case GET_BUDGET:
		return (store_get_budget(st));
	case ADD_SPEND:
		return (store_add_spend(st, o->ids[0]));
	}
	err_set(EX_SOFTWARE, "unhandled command");
	return (NULL);
}

/* The document on standard input for command C, into *IN.  What is
 * stored keeps its numbers as written (DynamoDB numbers keep their
 * digits: 0.10 is not 0.1000000000001); start and message read an API
 * request, whose numbers are read as numbers.  Returns 0, or -1 after
 * reporting. */
static int
read_stdin(const struct command *c, cJSON **in)
{
	size_t limit;
	int flags = c->cmd == START || c->cmd == MESSAGE || c->cmd == GENERATE
	                ? 0
	                : JSONIO_NUMBER_TEXT;

	if (jsonio_limit(&limit))
		return (-1);
	if (c->cmd == PUT_CODE && getenv("CSC_MAX_INPUT") == NULL)
		limit = BUNDLE_LIMIT;
	*in = jsonio_read_with(stdin, limit, flags);
	return (*in != NULL ? 0 : -1);
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct store st;
	cJSON *in = NULL, *out = NULL;
	int first, rc = -1;

	err_init("csc-store");
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	o.older_than = ORPHAN_AGE;
	memset(&st, 0, sizeof(st));
	if ((first = parse_options(argc, argv)) <= 0)
		return (first == 0 ? 0 : err_code());
	if (parse_command(argc - first, argv + first, &o))
		return (err_code());
	if (clock_init() || deadline_init())
		return (err_code());
	if (o.ids_from_stdin && ids_from(&o, &in))
		goto done;
	if (o.c->reads_stdin && read_stdin(o.c, &in))
		goto done;
	if (store_open(&st, o.c->needs_s3))
		goto done;
	if (o.parallel > 0)
		st.parallel = (size_t)o.parallel;
	if ((out = run(&st, &o, in)) == NULL || jsonio_write(stdout, out))
		goto done;
	rc = 0;
done:
	cJSON_Delete(out);
	cJSON_Delete(in);
	store_close(&st);
	http_cleanup();
	if (jsonio_close(stdout))
		rc = -1;
	return (rc ? err_code() : 0);
}
