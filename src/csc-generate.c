/*
 * csc-generate: Claude writes the six files of a service's code bundle.
 *
 *   csc-generate < request.json        {service_data, service_id?, ...}
 *                                      or a finished csc-ask state
 *   csc-generate --batch < many.jsonl  one Message Batch, one line out
 *                                      per line in, in order
 *
 * The output is what `csc-store put-code` reads:
 *   {service_id, code_id, conversation_id?, service_data, model,
 *    request_id, stop_reason, usage, cost_usd, created_at,
 *    files: [{name, content}]}
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "anthropic.h"
#include "clock.h"
#include "deadline.h"
#include "env.h"
#include "err.h"
#include "generate.h"
#include "http.h"
#include "ids.h"
#include "interview.h"
#include "jsonio.h"

#define DEFAULT_MODEL "claude-sonnet-5-5"
#define DEFAULT_MAX_TOKENS 32000L
#define BATCH_LINES_MAX 100000
#define POLL_MAX_MS 60000L

static const char s_system_prompt[] = {
#include "system-prompt.inc"
};

static const char s_prices[] = {
#include "prices.inc"
};

struct options {
	int batch;
	int check;
	int stream;
	int tool;
};

/* One generation asked for: its ids and service_data. */
struct job {
	const cJSON *service_data; /* checked and completed, in checked */
	cJSON *checked;            /* {"service_data": ...}, the job's */
	char service_id[37];
	char code_id[37];
	const char *conversation_id;
	char custom_id[65];
	cJSON *error;  /* batch: this line's error, instead of a result */
	cJSON *result; /* batch: the result line of the batch */
};

struct generator {
	struct interview *questions; /* to check service_data as csc-ask does */
	struct anthropic api;
	struct generate_config cfg;
	long poll_ms; /* CSC_BATCH_POLL_MS: the first wait on a batch */
	cJSON *prices;
	struct options o;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: csc-generate [-cv] [--no-stream] [--tool] < request.json\n"
	    "       csc-generate --batch [-cv] [--tool] < requests.jsonl\n"
	    "\n"
	    "Claude writes the six files of a service's code bundle.  A request\n"
	    "is {\"service_data\":{...}} with optional service_id, code_id and\n"
	    "conversation_id, or the final state of csc-ask; the output is the\n"
	    "bundle csc-store put-code reads.  ANTHROPIC_API_KEY (or\n"
	    "ANTHROPIC_AUTH_TOKEN), ANTHROPIC_BASE_URL, CSC_MODEL (default\n" DEFAULT_MODEL
	    "), CSC_MAX_TOKENS (default 32000).\n"
	    "\n"
	    "  -b, --batch      JSON Lines in, one Message Batch (half price),\n"
	    "                   one line out per line in, in order\n"
	    "  -c, --check      compile the Python files and parse config.yaml\n"
	    "      --no-stream  one JSON answer instead of a stream\n"
	    "      --tool       ask through a tool instead of structured output\n"
	    "  -v, --verbose    log requests on standard error\n"
	    "  -h, --help       this text\n"
	    "  -V, --version    the version\n");
}

/* Options; returns 1 to go on, 0 when done (--help), -1 after a usage
 * error. */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
	    {"batch", no_argument, NULL, 'b'},
	    {"check", no_argument, NULL, 'c'},
	    {"no-stream", no_argument, NULL, 'S'},
	    {"tool", no_argument, NULL, 'T'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	int c;

	o->stream = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "bcvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->batch = 1;
			break;
		case 'c':
			o->check = 1;
			break;
		case 'S':
			o->stream = 0;
			break;
		case 'T':
			o->tool = 1;
			break;
		case 'v':
			err_set_verbose(1);
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'V':
			printf("csc-generate %s\n", CSC_VERSION);
			return (0);
		default:
			err_set(EX_USAGE, "unknown option %s (try --help)",
			    argv[optind - 1]);
			return (-1);
		}
	}
	if (optind < argc) {
		err_set(EX_USAGE, "unexpected argument '%.64s' (try --help)",
		    argv[optind]);
		return (-1);
	}
	return (1);
}

/* --- configuration ---------------------------------------------------- */

static cJSON *
load_prices(void)
{
	const char *path = getenv("CSC_PRICES");
	cJSON *doc;
	FILE *f;

	if (path == NULL || *path == '\0')
		return (jsonio_parse(s_prices, strlen(s_prices),
		    "built-in prices"));
	if ((f = fopen(path, "r")) == NULL) {
		err_set(EX_CONFIG, "CSC_PRICES %s: %s", path, strerror(errno));
		return (NULL);
	}
	doc = jsonio_read(f, (size_t)1 << 20);
	fclose(f);
	if (doc == NULL ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "models"))) {
		cJSON_Delete(doc);
		err_clear();
		err_set(EX_CONFIG,
		    "CSC_PRICES %s: not a price table "
		    "({\"models\": {...}})",
		    path);
		return (NULL);
	}
	return (doc);
}

static int
generator_init(struct generator *g)
{
	const char *s;

	g->cfg.model = (s = getenv("CSC_MODEL")) && *s ? s : DEFAULT_MODEL;
	g->cfg.system_prompt = s_system_prompt;
	g->cfg.tool = g->o.tool;
	if (env_long("CSC_MAX_TOKENS", 1, 1000000, DEFAULT_MAX_TOKENS,
	        &g->cfg.max_tokens) ||
	    env_long("CSC_BATCH_POLL_MS", 1, POLL_MAX_MS, 5000, &g->poll_ms) ||
	    (g->prices = load_prices()) == NULL ||
	    (g->questions = interview_load_default()) == NULL ||
	    anthropic_init(&g->api))
		return (-1);
	/* Progress only for a person watching, not for a pipe or a log. */
	g->api.progress = !g->o.batch && isatty(STDERR_FILENO);
	return (0);
}

/* --- input ------------------------------------------------------------ */

/* Take an optional id member NAME of IN into OUT, or make a new one. */
static int
take_id(const cJSON *in, const char *name, char out[37])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);

	if (v == NULL || cJSON_IsNull(v)) {
		ids_new(out);
		return (0);
	}
	if (ids_check(name, cJSON_IsString(v) ? v->valuestring : "(not text)"))
		return (-1);
	memcpy(out, v->valuestring, 37);
	return (0);
}

/* A request or a finished csc-ask state, into JOB: its service_data
 * checked and completed as csc-ask's "complete" does (a service_type
 * csc-ask would refuse is not sent to Claude), its ids checked or made. */
static int
parse_job(const struct interview *q, const cJSON *in, struct job *job)
{
	const cJSON *sd = cJSON_GetObjectItemCaseSensitive(in, "service_data");
	const cJSON *conv;
	const char *status = jsonio_string(in, "status");

	if (!cJSON_IsObject(in)) {
		err_set(EX_DATAERR, "a request must be a JSON object");
		return (-1);
	}
	if (sd == NULL && status != NULL && strcmp(status, "complete") != 0) {
		err_set(EX_DATAERR,
		    "the interview is not complete (step %.0f "
		    "of 7)",
		    cJSON_IsNumber(cJSON_GetObjectItem(in, "step"))
		        ? cJSON_GetObjectItem(in, "step")->valuedouble
		        : 0.0);
		return (-1);
	}
	if (!cJSON_IsObject(sd)) {
		err_set(EX_DATAERR, "service_data must be an object (see "
		                    "csc-ask complete)");
		return (-1);
	}
	if (interview_complete(q, sd, &job->checked))
		return (-1);
	job->service_data = cJSON_GetObjectItemCaseSensitive(job->checked,
	    "service_data");
	conv = cJSON_GetObjectItemCaseSensitive(in, "conversation_id");
	if (conv != NULL && !cJSON_IsNull(conv)) {
		if (ids_check("conversation_id", cJSON_IsString(conv)
		                                     ? conv->valuestring
		                                     : "(not text)"))
			return (-1);
		job->conversation_id = conv->valuestring;
	}
	if (take_id(in, "code_id", job->code_id) ||
	    take_id(in, "service_id", job->service_id)) {
		job->service_id[0] = job->code_id[0] = '\0';
		return (-1);
	}
	return (0);
}

/* --- the bundle --------------------------------------------------------- */

/* run_tool(argv, msg, size): run ARGV[0] (from PATH) with standard error
 * kept in MSG.  Returns 0 if it exited 0, 1 if it failed (MSG says why),
 * -1 if it could not be run. */
static int
run_tool(char *const argv[], char *msg, size_t size)
{
	int fds[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	msg[0] = '\0';
	if (pipe(fds) != 0)
		return (-1);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return (-1);
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (
	    got + 1 < size && (n = read(fds[0], msg + got, size - got - 1)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return (-1);
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}

/* The last non-empty line of TEXT, trimmed, in place. */
static const char *
last_line(char *text)
{
	char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(text, '\n');
	return (start ? start + 1 : text);
}

/* --check: the Python files compile, config.yaml parses; each "ok",
 * "error: ..." or "skipped: ...". */
static cJSON *
check_files(const cJSON *files)
{
	char dir[] = "/tmp/csc-check.XXXXXX", path[4096], msg[4096];
	/* compile(), not py_compile: the same check, and no __pycache__
	 * left to clean up. */
	char *py_argv[] = {"python3", "-c",
	    "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], "
	    "'exec')",
	    path, NULL};
	char *yaml_probe[] = {"python3", "-c", "import yaml", NULL};
	/* The problem and its line, not PyYAML's traceback. */
	char *yaml_argv[] = {"python3", "-c",
	    "import sys, yaml\n"
	    "try:\n"
	    "    yaml.safe_load(open(sys.argv[1], encoding='utf-8'))\n"
	    "except yaml.YAMLError as e:\n"
	    "    m = getattr(e, 'problem_mark', None)\n"
	    "    sys.exit('%s%s' % (getattr(e, 'problem', None) or e,\n"
	    "             ' at line %d' % (m.line + 1) if m else ''))\n",
	    path, NULL};
	cJSON *out = cJSON_CreateObject();
	const cJSON *f;
	const char *name, *content;
	int have_yaml, r;
	FILE *fp;

	if (out == NULL || mkdtemp(dir) == NULL) {
		cJSON_Delete(out);
		err_set(EX_CANTCREAT, "--check: no temporary directory");
		return (NULL);
	}
	have_yaml = run_tool(yaml_probe, msg, sizeof(msg)) == 0;
	cJSON_ArrayForEach(f, files) {
		name = jsonio_string(f, "name");
		content = jsonio_string(f, "content");
		if (strstr(name, ".py") == NULL &&
		    strcmp(name, "config.yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		r = (fp = fopen(path, "w")) == NULL;
		if (fp != NULL)
			r = (fputs(content, fp) == EOF) | (fclose(fp) != 0);
		if (r) {
			snprintf(msg, sizeof(msg),
			    "cannot write it to %.200s: %s", dir,
			    strerror(errno));
		} else if (strcmp(name, "config.yaml") == 0 && !have_yaml) {
			cJSON_AddStringToObject(out, name,
			    "skipped: no YAML parser (python3-yaml)");
			unlink(path);
			continue;
		} else {
			r = run_tool(strcmp(name, "config.yaml") == 0
			                 ? yaml_argv
			                 : py_argv,
			    msg, sizeof(msg));
		}
		if (r == 0) {
			cJSON_AddStringToObject(out, name, "ok");
		} else if (r < 0) {
			cJSON_AddStringToObject(out, name,
			    "skipped: python3 not found");
		} else {
			char line[600];

			snprintf(line, sizeof(line), "error: %.560s",
			    last_line(msg));
			cJSON_AddStringToObject(out, name, line);
		}
		unlink(path);
	}
	rmdir(dir);
	return (out);
}

static int
add(cJSON *obj, const char *name, cJSON *v)
{
	return (v != NULL && cJSON_AddItemToObject(obj, name, v) ? 0 : -1);
}

/* The output document for JOB from the reply MESSAGE; NULL after err_set
 * (the reply refused: EX_UNAVAILABLE). */
static cJSON *
bundle_of(struct generator *g, const struct job *job, const cJSON *message,
    const char *request_id, int batch)
{
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(message, "usage");
	const char *model = jsonio_string(message, "model");
	const char *stop = jsonio_string(message, "stop_reason");
	cJSON *files, *out = NULL, *check = NULL;
	char now[21];
	double cost;
	int priced;

	if ((files = generate_files_of(message, g->cfg.tool)) == NULL)
		return (NULL);
	if (g->o.check && (check = check_files(files)) == NULL)
		goto fail;
	if (model == NULL)
		model = g->cfg.model;
	priced = generate_cost(g->prices, model, usage, batch, &cost) == 0;
	if (!priced)
		err_debug("no price for model %s: cost_usd is null", model);
	clock_rfc3339(clock_now(), now);
	if ((out = cJSON_CreateObject()) == NULL ||
	    (job->custom_id[0] != '\0' &&
	        add(out, "custom_id", cJSON_CreateString(job->custom_id))) ||
	    add(out, "service_id", cJSON_CreateString(job->service_id)) ||
	    add(out, "code_id", cJSON_CreateString(job->code_id)) ||
	    (job->conversation_id != NULL &&
	        add(out, "conversation_id",
	            cJSON_CreateString(job->conversation_id))) ||
	    add(out, "service_data", cJSON_Duplicate(job->service_data, 1)) ||
	    add(out, "model", cJSON_CreateString(model)) ||
	    add(out, "request_id",
	        request_id && *request_id ? cJSON_CreateString(request_id)
	                                  : cJSON_CreateNull()) ||
	    add(out, "stop_reason",
	        stop ? cJSON_CreateString(stop) : cJSON_CreateNull()) ||
	    add(out, "usage",
	        usage ? cJSON_Duplicate(usage, 1) : cJSON_CreateObject()) ||
	    /* Dollars to a millionth: finer is noise. */
	    add(out, "cost_usd",
	        priced ? cJSON_CreateNumber(
	                     (double)(long long)(cost * 1e6 + 0.5) / 1e6)
	               : cJSON_CreateNull()) ||
	    add(out, "created_at", cJSON_CreateString(now)) ||
	    (check != NULL && add(out, "check", check)) ||
	    add(out, "files", files)) {
		err_set(EX_SOFTWARE, "out of memory");
		goto fail;
	}
	return (out);
fail:
	cJSON_Delete(out);
	cJSON_Delete(files);
	cJSON_Delete(check);
	return (NULL);
}

/* --- one request -------------------------------------------------------- */

/* Whether the API refused the request for its structured output (a
 * model without it): then a forced tool carries the same schema.  That
 * is a 400 invalid_request_error naming the structured-output parameter
 * itself ("output_config.format: Extra inputs are not permitted"); one
 * naming anything else, even inside the schema, is a real error. */
static int
no_structured_output(const struct generator *g)
{
	const char *p = g->api.error_param;

	return (!g->cfg.tool && g->api.error_status == 400 &&
	        strcmp(g->api.error_type, "invalid_request_error") == 0 &&
	        (strcmp(p, "output_config") == 0 ||
	            strcmp(p, "output_config.format") == 0 ||
	            strcmp(p, "output_format") == 0));
}

/* Ask for JOB's bundle; with structured output first, and through the
 * tool if the model has no structured output.  *MSG is the reply. */
static int
ask(struct generator *g, const struct job *job, cJSON **msg)
{
	cJSON *req;
	int r, tool_first = g->cfg.tool;

	if ((req = generate_request(&g->cfg, job->service_data)) == NULL)
		return (-1);
	err_quiet(!tool_first);
	r = anthropic_messages(&g->api, req, g->o.stream, msg);
	err_quiet(0);
	cJSON_Delete(req);
	if (r == 0 || tool_first)
		return (r);
	if (!no_structured_output(g)) {
		err_flush();
		return (r);
	}
	err_debug("%s: no structured output, asking through a tool",
	    g->cfg.model);
	err_clear();
	g->cfg.tool = 1;
	if ((req = generate_request(&g->cfg, job->service_data)) == NULL)
		return (-1);
	r = anthropic_messages(&g->api, req, g->o.stream, msg);
	cJSON_Delete(req);
	return (r);
}

static int
generate_one(struct generator *g)
{
	struct job job;
	cJSON *in = NULL, *msg = NULL, *out = NULL;
	size_t limit;
	int rc = -1;

	memset(&job, 0, sizeof(job));
	if (jsonio_limit(&limit) || (in = jsonio_read(stdin, limit)) == NULL ||
	    parse_job(g->questions, in, &job) || ask(g, &job, &msg) ||
	    (out = bundle_of(g, &job, msg, g->api.request_id, 0)) == NULL ||
	    jsonio_write(stdout, out))
		goto done;
	rc = 0;
done:
	cJSON_Delete(out);
	cJSON_Delete(msg);
	cJSON_Delete(job.checked);
	cJSON_Delete(in);
	return (rc);
}

/* --- a batch ------------------------------------------------------------ */

struct batch {
	cJSON **docs; /* the input lines */
	struct job *jobs;
	size_t n, alloc;
};

static void
batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		cJSON_Delete(b->docs[i]);
		cJSON_Delete(b->jobs[i].checked);
		cJSON_Delete(b->jobs[i].error);
		cJSON_Delete(b->jobs[i].result);
	}
	free(b->docs);
	free(b->jobs);
}

/* {type, message} for a line that has no bundle. */
static cJSON *
line_error(const char *type, const char *message)
{
	cJSON *e = cJSON_CreateObject();

	if (e != NULL && (!cJSON_AddStringToObject(e, "type", type) ||
	                     !cJSON_AddStringToObject(e, "message", message))) {
		cJSON_Delete(e);
		e = NULL;
	}
	return (e);
}

static int
valid_custom_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64)
		return (0);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		        s[i] == '-'))
			return (0);
	return (1);
}

/* Read every line; a line that is not a usable request gets its error
 * now (quietly: it is part of the output, not of the run's failure). */
static int
batch_read(struct generator *g, struct batch *b)
{
	cJSON *doc;
	struct job *job;
	const char *cid;
	size_t i, limit;
	int r;

	if (jsonio_limit(&limit))
		return (-1);
	for (;;) {
		/* A line that is not JSON gets its own error line; only a
		 * failure to read at all ends the batch. */
		err_quiet(1);
		r = jsonio_read_line(stdin, limit, &doc);
		err_quiet(0);
		if (r < 0 && err_code() != EX_DATAERR) {
			err_flush();
			return (-1);
		}
		if (r == 0)
			return (0);
		if (b->n == BATCH_LINES_MAX) {
			/* This line's own error, kept quietly for its error
			 * line, gives way to the batch's: the one reported. */
			cJSON_Delete(doc);
			err_clear();
			err_set(EX_DATAERR,
			    "more than %d requests in one batch",
			    BATCH_LINES_MAX);
			return (-1);
		}
		if (b->n == b->alloc) {
			size_t na = b->alloc ? b->alloc * 2 : 16;
			cJSON **nd;
			struct job *nj;

			if (na > BATCH_LINES_MAX)
				na = BATCH_LINES_MAX;
			if ((nd = realloc(b->docs, na * sizeof(*nd))) != NULL)
				b->docs = nd;
			if ((nj = realloc(b->jobs, na * sizeof(*nj))) != NULL)
				b->jobs = nj;
			if (nd == NULL || nj == NULL) {
				cJSON_Delete(doc);
				err_clear();
				err_set(EX_SOFTWARE, "out of memory");
				return (-1);
			}
			b->alloc = na;
		}
		job = &b->jobs[b->n];
		memset(job, 0, sizeof(*job));
		b->docs[b->n++] = doc;
		snprintf(job->custom_id, sizeof(job->custom_id), "line-%zu",
		    b->n);
		if (r < 0) {
			job->error = line_error("invalid_request",
			    err_message());
			err_clear();
			continue;
		}
		cid = jsonio_string(doc, "custom_id");
		if (cJSON_GetObjectItemCaseSensitive(doc, "custom_id") !=
		        NULL &&
		    (cid == NULL || !valid_custom_id(cid))) {
			job->error = line_error("invalid_request",
			    "custom_id must "
			    "be 1-64 of [A-Za-z0-9_-]");
			continue;
		}
		if (cid != NULL)
			snprintf(job->custom_id, sizeof(job->custom_id), "%s",
			    cid);
		for (i = 0; i + 1 < b->n; i++)
			if (strcmp(b->jobs[i].custom_id, job->custom_id) == 0) {
				err_set(EX_DATAERR,
				    "line %zu: custom_id %s repeats "
				    "line %zu",
				    b->n, job->custom_id, i + 1);
				return (-1);
			}
		err_quiet(1);
		if (parse_job(g->questions, doc, job)) {
			job->error = line_error("invalid_request",
			    err_message());
			err_clear();
		}
		err_quiet(0);
	}
}

/* The requests of the lines that have no error yet. */
static cJSON *
batch_requests(struct generator *g, struct batch *b)
{
	cJSON *list = cJSON_CreateArray(), *r, *params;
	size_t i;

	for (i = 0; list != NULL && i < b->n; i++) {
		if (b->jobs[i].error != NULL)
			continue;
		if ((params = generate_request(&g->cfg,
		         b->jobs[i].service_data)) == NULL ||
		    (r = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(list, r) ||
		    !cJSON_AddStringToObject(r, "custom_id",
		        b->jobs[i].custom_id) ||
		    !cJSON_AddItemToObject(r, "params", params)) {
			cJSON_Delete(list);
			return (NULL);
		}
	}
	return (list);
}

/* Poll the batch ID until it has ended; *OUT is its last state. */
static int
batch_wait(struct generator *g, const char *id, cJSON **out)
{
	long wait = g->poll_ms;
	const char *status;
	const cJSON *counts;
	int polls;

	*out = NULL;
	for (polls = 1;; polls++) {
		if (anthropic_batch_get(&g->api, id, out))
			return (-1);
		status = jsonio_string(*out, "processing_status");
		if (status != NULL && strcmp(status, "ended") == 0)
			return (0);
		counts = cJSON_GetObjectItemCaseSensitive(*out,
		    "request_counts");
		err_debug("batch %s: %s, %.0f processing, %.0f succeeded", id,
		    status ? status : "?",
		    cJSON_IsNumber(cJSON_GetObjectItem(counts, "processing"))
		        ? cJSON_GetObjectItem(counts, "processing")->valuedouble
		        : 0.0,
		    cJSON_IsNumber(cJSON_GetObjectItem(counts, "succeeded"))
		        ? cJSON_GetObjectItem(counts, "succeeded")->valuedouble
		        : 0.0);
		if (isatty(STDERR_FILENO))
			fprintf(stderr,
			    "csc-generate: batch %s %s, next look in "
			    "%ld s\n",
			    id, status ? status : "?", wait / 1000);
		if (!deadline_fits(wait, 0)) {
			deadline_fail(polls, "Claude batch %s: still %s", id,
			    status ? status : "unfinished");
			cJSON_Delete(*out);
			*out = NULL;
			return (-1);
		}
		cJSON_Delete(*out);
		*out = NULL;
		http_sleep_ms(wait);
		if ((wait *= 2) > POLL_MAX_MS)
			wait = POLL_MAX_MS;
	}
}

static int
keep_result(const cJSON *line, void *ctx)
{
	struct batch *b = ctx;
	const char *cid = jsonio_string(line, "custom_id");
	size_t i;

	for (i = 0; cid != NULL && i < b->n; i++)
		if (strcmp(b->jobs[i].custom_id, cid) == 0 &&
		    b->jobs[i].result == NULL) {
			b->jobs[i].result = cJSON_Duplicate(
			    cJSON_GetObjectItemCaseSensitive(line, "result"),
			    1);
			break;
		}
	return (0);
}

/* The output line of job I: its bundle, or {custom_id, error}. */
static cJSON *
batch_line(struct generator *g, struct job *job)
{
	const cJSON *res = job->result, *e;
	const char *type = jsonio_string(res, "type");
	cJSON *out;

	if (job->error == NULL && type != NULL &&
	    strcmp(type, "succeeded") == 0) {
		err_quiet(1);
		out = bundle_of(g, job,
		    cJSON_GetObjectItemCaseSensitive(res, "message"),
		    jsonio_string(
		        cJSON_GetObjectItemCaseSensitive(res, "message"), "id"),
		    1);
		if (out == NULL)
			job->error = line_error("invalid_output",
			    err_message());
		err_clear();
		err_quiet(0);
		if (out != NULL)
			return (out);
	}
	if (job->error == NULL) {
		/* errored: result.error.error is the API's error object */
		e = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(res, "error"), "error");
		job->error = type == NULL ? line_error("missing",
		                                "the batch has no result "
		                                "for this request")
		             : jsonio_string(e, "type") != NULL
		                 ? line_error(jsonio_string(e, "type"),
		                       jsonio_string(e, "message")
		                           ? jsonio_string(e, "message")
		                           : "")
		                 : line_error(type, "the request did not run");
	}
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(out, "custom_id", job->custom_id) ||
	    (job->service_id[0] &&
	        !cJSON_AddStringToObject(out, "service_id", job->service_id)) ||
	    (job->code_id[0] &&
	        !cJSON_AddStringToObject(out, "code_id", job->code_id)) ||
	    !cJSON_AddItemToObject(out, "error", job->error)) {
		cJSON_Delete(out);
		err_set(EX_SOFTWARE, "out of memory");
		return (NULL);
	}
	job->error = NULL; /* now OUT's */
	return (out);
}

static int
generate_batch(struct generator *g)
{
	struct batch b;
	cJSON *requests = NULL, *created = NULL, *ended = NULL, *line;
	const char *id, *url;
	size_t i;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	if (batch_read(g, &b) < 0 || (requests = batch_requests(g, &b)) == NULL)
		goto done;
	if (cJSON_GetArraySize(requests) > 0) {
		if (anthropic_batch_create(&g->api, requests, &created))
			goto done;
		if ((id = jsonio_string(created, "id")) == NULL) {
			err_set(EX_UNAVAILABLE,
			    "Claude batch: the answer has no id");
			goto done;
		}
		err_debug("batch %s: %d requests", id,
		    cJSON_GetArraySize(requests));
		if (batch_wait(g, id, &ended))
			goto done;
		if ((url = jsonio_string(ended, "results_url")) == NULL) {
			err_set(EX_UNAVAILABLE,
			    "Claude batch %s ended without a "
			    "results_url",
			    id);
			goto done;
		}
		if (anthropic_batch_results(&g->api, url, keep_result, &b))
			goto done;
	}
	/* Written only now, whole and in order: a failure above leaves
	 * stdout empty. */
	for (i = 0; i < b.n; i++) {
		if ((line = batch_line(g, &b.jobs[i])) == NULL)
			goto done;
		rc = jsonio_write(stdout, line);
		cJSON_Delete(line);
		if (rc != 0)
			goto done;
		rc = -1;
	}
	rc = 0;
done:
	cJSON_Delete(ended);
	cJSON_Delete(created);
	cJSON_Delete(requests);
	batch_free(&b);
	return (rc);
}

int
main(int argc, char *argv[])
{
	struct generator g;
	int r, rc = -1;

	err_init("csc-generate");
	signal(SIGPIPE, SIG_IGN);
	memset(&g, 0, sizeof(g));
	if ((r = parse_options(argc, argv, &g.o)) <= 0)
		return (r == 0 ? 0 : err_code());
	if (clock_init() || deadline_init())
		return (err_code());
	if (generator_init(&g) == 0)
		rc = g.o.batch ? generate_batch(&g) : generate_one(&g);
	anthropic_free(&g.api);
	interview_free(g.questions);
	cJSON_Delete(g.prices);
	http_cleanup();
	if (jsonio_close(stdout))
		rc = -1;
	return (rc ? err_code() : 0);
}
