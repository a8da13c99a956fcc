/*
 * csc-ask: the interview, as a pure program: one JSON request on standard
 * input, one JSON state (or service_data) on standard output.
 *
 *   csc-ask < request.json          {"action":"start"|"message"|"complete"}
 *   csc-ask start                   a new conversation
 *   csc-ask answer TEXT < state     answer the state's current step
 *   csc-ask complete < sd.json      check and complete a service_data
 *   csc-ask --questions             the questionnaire
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "interview.h"
#include "jsonio.h"

enum verb { REQUEST, START, ANSWER, COMPLETE, QUESTIONS, HELP, VERSION };

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: csc-ask [-v] < request.json\n"
	    "       csc-ask [-v] start\n"
	    "       csc-ask [-v] answer TEXT < state.json\n"
	    "       csc-ask [-v] complete < service_data.json\n"
	    "       csc-ask --questions\n"
	    "\n"
	    "The interview, from standard input to standard output.  A\n"
	    "request is {\"action\":\"start\"},\n"
	    "{\"action\":\"message\",\"conversation\":STATE,\n"
	    "\"message\":TEXT,\"step\":N} or\n"
	    "{\"action\":\"complete\",\"service_data\":{...}};\n"
	    "the reply is the new state, or {\"service_data\":{...}}.\n"
	    "CSC_QUESTIONS=FILE replaces the built-in questionnaire; CSC_NOW\n"
	    "pins the clock.\n"
	    "\n"
	    "  -q, --questions  print the questionnaire\n"

	    "  -v, --verbose    log on standard error\n"
	    "  -h, --help       this text\n"
	    "  -V, --version    the version\n");
}

/* What the command line asks for; -1 after reporting a usage error. */
static int
parse_args(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"questions", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	int c, verb = REQUEST;

	while ((c = getopt_long(argc, argv, "+qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			verb = QUESTIONS;
			break;
		case 'v':
			err_set_verbose(1);
			break;
		case 'h':
			return (HELP);
		case 'V':
			return (VERSION);
		default:
			err_set(EX_USAGE, "bad command line");
			return (-1);
		}
	}
	argc -= optind;
	argv += optind;
	if (verb == QUESTIONS && argc == 0)
		return (QUESTIONS);
	if (verb == REQUEST && argc == 0)
		return (REQUEST);
	if (verb == REQUEST && argc == 1 && strcmp(argv[0], "start") == 0)
		return (START);
	if (verb == REQUEST && argc == 2 && strcmp(argv[0], "answer") == 0)
		return (ANSWER);
	if (verb == REQUEST && argc == 1 && strcmp(argv[0], "complete") == 0)
		return (COMPLETE);
	if (argc > 0 && strcmp(argv[0], "answer") == 0)
		err_set(EX_USAGE, "answer takes one argument, the answer");
	else if (argc > 0 && verb == REQUEST && strcmp(argv[0], "start") != 0 &&
	         strcmp(argv[0], "complete") != 0)
		err_set(EX_USAGE, "unknown command '%s'", argv[0]);
	else
		err_set(EX_USAGE, "too many arguments");
	return (-1);
}

/* Print DOC, taking it; -1 if it is NULL or cannot be written. */
static int
emit(cJSON *doc)
{
	int rc;

	if (doc == NULL)
		return (-1);
	rc = jsonio_write(stdout, doc);
	cJSON_Delete(doc);
	return (rc);
}

/* csc-ask < request.json */
static int
run_request(const struct interview *q)
{
	cJSON *req, *out = NULL;
	size_t limit;

	if (jsonio_limit(&limit) || (req = jsonio_read(stdin, limit)) == NULL)
		return (-1);
	interview_request(q, req, clock_now(), &out);
	cJSON_Delete(req);
	return (emit(out));
}

/* csc-ask start */
static int
run_start(const struct interview *q)
{
	return (emit(interview_start(q, clock_now())));
}

/* csc-ask answer TEXT < state.json: TEXT for the current step. */
static int
run_answer(const struct interview *q, const char *text)
{
	cJSON *state, *msg, *out = NULL;
	size_t limit;

	if (jsonio_limit(&limit) || (state = jsonio_read(stdin, limit)) == NULL)
		return (-1);
	msg = cJSON_CreateString(text);
	if (msg == NULL)
		err_set(EX_SOFTWARE, "out of memory");
	else
		interview_answer(q, state, msg, 0, clock_now(), &out);
	cJSON_Delete(msg);
	cJSON_Delete(state);
	return (emit(out));
}

/* csc-ask complete < service_data.json */
static int
run_complete(const struct interview *q)
{
	cJSON *sd, *out = NULL;
	size_t limit;

	if (jsonio_limit(&limit) || (sd = jsonio_read(stdin, limit)) == NULL)
		return (-1);
	interview_complete(q, sd, &out);
	cJSON_Delete(sd);
	return (emit(out));
}

/* Do what VERB asks; ARG is answer's TEXT.  Returns 0, or -1 after
 * reporting. */
static int
run(int verb, const char *arg)
{
	struct interview *q;
	int rc = -1;

	if (verb == HELP) {
		usage(stdout);
		return (0);
	}
	if (verb == VERSION) {
		printf("csc-ask %s\n", CSC_VERSION);
		return (0);
	}
	q = interview_load_default();
	if (q == NULL)
		return (-1);
	switch (verb) {
	case QUESTIONS:
		rc = jsonio_write(stdout, interview_questions(q));
		break;
	case START:
		rc = run_start(q);
		break;
	case ANSWER:
		rc = run_answer(q, arg);
		break;
	case COMPLETE:
		rc = run_complete(q);
		break;
	default:
		rc = run_request(q);
		break;
	}
	interview_free(q);
	return (rc);
}

int
main(int argc, char *argv[])
{
	int verb, rc;

	err_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	verb = parse_args(argc, argv);
	if (verb < 0) {
		usage(stderr);
		return (EX_USAGE);
	}
	if (clock_init())
		return (err_code());
	rc = run(verb, argv[argc - 1]);
	if (jsonio_close(stdout))
		rc = -1;
	return (rc == 0 ? EX_OK : err_code());
}
