/*
 * csc-presign: presigned S3 download (or upload) URLs.  Pure computation
 * once the credentials are known.
 *
 *   csc-presign s3://BUCKET/KEY ...     one URL per line
 *   csc-presign < code.json             {bucket, files:[{key,...}]} with
 *                                       url and expires_at added (a
 *                                       file's version_id pins its URL)
 *   csc-presign --lines < many.jsonl    the same, one document per line
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "deadline.h"
#include "err.h"
#include "jsonio.h"
#include "num.h"
#include "presign.h"
#include "sigv4.h"

struct options {
	unsigned expires;
	const char *method;
	int attachment;
	int lines;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: csc-presign [-e SECONDS] [-m GET|PUT] [-a] s3://BUCKET/KEY...\n"
	    "       csc-presign [-e SECONDS] [-m GET|PUT] [-a] [-l] < files.json\n"
	    "\n"
	    "Print presigned S3 URLs.  With URLs as arguments, one URL per line;\n"
	    "otherwise read {\"bucket\":..., \"files\":[{\"key\":...},...]} and write\n"
	    "it back with \"url\" and \"expires_at\" added to every file (a\n"
	    "file's \"version_id\" makes its URL serve that version only).\n"
	    "\n"
	    "  -e, --expires SECONDS  validity, 1..604800 (CSC_URL_TTL or 3600)\n"
	    "  -m, --method METHOD    GET (download, the default) or PUT (upload)\n"
	    "  -a, --attachment       ask S3 to serve the file as a download\n"
	    "                         named after the file\n"
	    "  -l, --lines            JSON Lines: one document per line\n"
	    "  -v, --verbose          log requests (credential lookups) on stderr\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          the version\n");
}

/* Parse a validity in seconds; 0 if it is not one in 1..604800. */
static unsigned
parse_expires(const char *s)
{
	long long v;

	return (num_parse(s, 1, SIGV4_MAX_EXPIRES, &v) ? 0 : (unsigned)v);
}

/* Fill O from the command line; returns the index of the first operand,
 * -1 for a usage error (reported), or 0 when --help/--version was
 * answered. */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
	    {"expires", required_argument, NULL, 'e'},
	    {"method", required_argument, NULL, 'm'},
	    {"attachment", no_argument, NULL, 'a'},
	    {"lines", no_argument, NULL, 'l'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	const char *ttl = getenv("CSC_URL_TTL");
	int c;

	o->expires = 3600;
	o->method = "GET";
	if (ttl != NULL && *ttl != '\0' &&
	    (o->expires = parse_expires(ttl)) == 0) {
		err_set(EX_CONFIG,
		    "CSC_URL_TTL must be 1..%d seconds, not '%s'",
		    SIGV4_MAX_EXPIRES, ttl);
		return (-1);
	}
	while (
	    (c = getopt_long(argc, argv, "e:m:alvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if ((o->expires = parse_expires(optarg)) == 0) {
				err_set(EX_USAGE,
				    "--expires must be 1..%d "
				    "seconds, not '%s'",
				    SIGV4_MAX_EXPIRES, optarg);
				return (-1);
			}
			break;
		case 'm':
			if (strcmp(optarg, "GET") && strcmp(optarg, "PUT")) {
				err_set(EX_USAGE,
				    "--method must be GET or PUT, "
				    "not '%s'",
				    optarg);
				return (-1);
			}
			o->method = optarg;
			break;
		case 'a':
			o->attachment = 1;
			break;
		case 'l':
			o->lines = 1;
			break;
		case 'v':
			err_set_verbose(1);
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'V':
			printf("csc-presign %s\n", CSC_VERSION);
			return (0);
		default:
			usage(stderr);
			err_set(EX_USAGE, "bad command line");
			return (-1);
		}
	}
	if (o->attachment && strcmp(o->method, "GET") != 0) {
		err_set(EX_USAGE,
		    "--attachment applies to downloads (GET) only");
		return (-1);
	}
	if (o->lines && optind < argc) {
		err_set(EX_USAGE, "--lines reads standard input; give no URLs");
		return (-1);
	}
	return (optind);
}

/* The file name a download is saved as: the record's name, else the
 * last non-empty part of the key. */
static const char *
file_name(const cJSON *file, const char *key, char *tmp, size_t size)
{
	const char *name = jsonio_string(file, "name");
	size_t end = strlen(key), start;

	if (name != NULL && *name != '\0')
		return (name);
	while (end > 0 && key[end - 1] == '/')
		end--;
	for (start = end; start > 0 && key[start - 1] != '/'; start--)
		;
	snprintf(tmp, size, "%.*s", (int)(end - start), key + start);
	return (tmp);
}

/* Add url and expires_at to every file of DOC, all signed at one time. */
static int
presign_document(struct presigner *p, const struct options *o, cJSON *doc)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files");
	const char *bucket = jsonio_string(doc, "bucket"), *key, *vid, *url;
	char expires_at[21], name[1024];
	cJSON *file;
	time_t now = clock_now();
	int i = 0;

	if (!cJSON_IsObject(doc) || bucket == NULL) {
		err_set(EX_DATAERR, "input: expected an object with a string "
		                    "\"bucket\" and a \"files\" array");
		return (-1);
	}
	if (!cJSON_IsArray(files)) {
		err_set(EX_DATAERR, "input: \"files\" must be an array");
		return (-1);
	}
	if (clock_rfc3339(now + o->expires, expires_at)) {
		err_set(EX_CONFIG,
		    "the expiry time (now + %u s) is out of range", o->expires);
		return (-1);
	}
	cJSON_ArrayForEach(file, files) {
		key = jsonio_string(file, "key");
		if (!cJSON_IsObject(file) || key == NULL || *key == '\0') {
			err_set(EX_DATAERR,
			    "input: files[%d] needs a non-empty "
			    "string \"key\"",
			    i);
			return (-1);
		}
		/* The version the record names, when it names one: a later
		 * write at the key does not change what the URL serves. */
		vid = jsonio_string(file, "version_id");
		url = presign_url(p, bucket, key,
		    vid != NULL && *vid != '\0' ? vid : NULL,
		    o->attachment ? file_name(file, key, name, sizeof(name))
		                  : NULL,
		    now);
		if (url == NULL ||
		    jsonio_set(file, "url", cJSON_CreateString(url)) ||
		    jsonio_set(file, "expires_at",
		        cJSON_CreateString(expires_at)))
			return (-1);
		i++;
	}
	return (0);
}

/* Standard input as one document, or as JSON Lines with --lines. */
static int
presign_stdin(struct presigner *p, const struct options *o)
{
	cJSON *doc;
	size_t limit;
	int got, rc = -1;

	if (jsonio_limit(&limit))
		return (-1);
	if (!o->lines) {
		if ((doc = jsonio_read(stdin, limit)) == NULL)
			return (-1);
		if (presign_document(p, o, doc) == 0)
			rc = jsonio_write(stdout, doc);
		cJSON_Delete(doc);
		return (rc);
	}
	/* Each line is answered as soon as it is signed: a long stream keeps
	 * its credentials fresh and its reader fed. */
	while ((got = jsonio_read_line(stdin, limit, &doc)) == 1) {
		rc = presigner_refresh(p) || presign_document(p, o, doc) ||
		     jsonio_write(stdout, doc);
		cJSON_Delete(doc);
		if (rc)
			return (-1);
	}
	return (got);
}

/* One URL per s3://BUCKET/KEY operand; all are checked before any is
 * printed, so a bad operand leaves stdout empty. */
static int
presign_operands(struct presigner *p, const struct options *o, int n,
    char *uris[])
{
	struct buf out;
	const char *url;
	char *bucket, *key, name[1024];
	time_t now = clock_now();
	int i, rc = -1;

	buf_init(&out, (size_t)1 << 30);
	for (i = 0; i < n; i++) {
		if (strncmp(uris[i], "s3://", 5) != 0 ||
		    (key = strchr(uris[i] + 5, '/')) == NULL ||
		    key[1] == '\0') {
			err_set(EX_USAGE, "'%s' is not s3://BUCKET/KEY",
			    uris[i]);
			goto done;
		}
		if ((bucket = strndup(uris[i] + 5,
		         (size_t)(key - uris[i] - 5))) == NULL)
			goto done;
		url = presign_url(p, bucket, key + 1, NULL,
		    o->attachment ? file_name(NULL, key + 1, name, sizeof(name))
		                  : NULL,
		    now);
		free(bucket);
		if (url == NULL || buf_printf(&out, "%s\n", url))
			goto done;
	}
	rc = jsonio_write_text(stdout, out.data ? out.data : "", out.len);
done:
	buf_free(&out);
	return (rc);
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct aws_client aws;
	struct presigner p;
	int first, rc = -1;

	err_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	if ((first = parse_options(argc, argv, &o)) <= 0)
		return (first == 0 ? 0 : err_code());
	if (clock_init() || deadline_init())
		return (err_code());
	if (aws_client_init(&aws) == 0 &&
	    presigner_init(&p, &aws, o.method, o.expires) == 0)
		rc = first < argc
		         ? presign_operands(&p, &o, argc - first, argv + first)
		         : presign_stdin(&p, &o);
	presigner_free(&p);
	aws_client_free(&aws);
	if (jsonio_close(stdout))
		rc = -1;
	return (rc ? err_code() : 0);
}
