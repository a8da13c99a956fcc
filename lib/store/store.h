/*
 * store: csc's data model (SPEC section 5) on DynamoDB and S3: the
 * conversation, code and job records of one table, the objects of one
 * bucket, and the order of writes that keeps them consistent (objects
 * first, then the metadata that points at them; on delete, the other way
 * round).
 *
 * Every operation takes and returns plain JSON (cJSON trees the caller
 * owns) and reports failures once with err_set, classed as SPEC section 3
 * says; ids are checked to be lowercase UUIDs before they reach a key.
 */
#ifndef CSC_STORE_H
#define CSC_STORE_H

#include <cjson/cJSON.h>

#include "ddb.h"
#include "s3.h"

#define STORE_DEFAULT_TABLE "CloudServiceCreator"
#define STORE_DEFAULT_BUCKET "cloudservicecreator-code"
#define STORE_JOBS_INDEX "jobs-by-lease"
#define STORE_JOB_QUEUE "active" /* job_queue of pending/running jobs */
#define STORE_MAX_FILES 16       /* files in one bundle */
#define STORE_IDEM_KEY_MAX 255   /* characters of an idempotency key */
#define STORE_IDEM_TTL 86400     /* s an idempotency key names its job */
#define STORE_BUDGET_KEEP 259200 /* s a day's spend is kept after it */

struct store {
	struct aws_client aws; /* one for both services */
	struct ddb ddb;
	struct s3 s3;
	const char *table;  /* CSC_TABLE */
	const char *bucket; /* CSC_BUCKET */
	size_t parallel;    /* uploads at once */
};

/* store_open(st, need_s3): resolve configuration and credentials (once,
 * shared by both services) for DynamoDB, and for S3 when NEED_S3.
 * Returns 0 or -1 after err_set; close ST with store_close either way. */
int store_open(struct store *st, int need_s3);

/* store_close(st): wipe the credentials and free what store_open made. */
void store_close(struct store *st);

/* Conversations: the interview state of csc-ask, one item each.
 * store_put_conversation writes version N only over N - 1 (version 1 only
 * when new); refused, it reads the item back, and if it holds this very
 * state (a lost reply, or an identical writer) succeeds: a copy of STATE,
 * or NULL after err_set(CSC_EX_CONFLICT) when another state is there. */
cJSON *store_put_conversation(struct store *st, const cJSON *state);
cJSON *store_get_conversation(struct store *st, const char *id);
cJSON *store_delete_conversation(struct store *st, const char *id);

/* Code bundles: put_code reads csc-generate's output.  Its objects are
 * written once (never over other bytes); a refused or failed put_code
 * takes back the object versions it stored.  With TOKEN (a job's lease
 * token), it writes only while the job is held under that token. */
cJSON *store_put_code(struct store *st, const cJSON *bundle, const char *token);
enum store_files { STORE_META_ONLY, STORE_CHECK, STORE_CONTENT };
cJSON *store_get_code(struct store *st, const char *service, const char *code,
    enum store_files files);
cJSON *store_export(struct store *st, const char *service, const char *code,
    const char *dir);
cJSON *store_get_service(struct store *st, const char *id);
cJSON *store_delete_service(struct store *st, const char *id);

/* Jobs: the CODE# item of an asynchronous generation.  A claim makes a
 * new lease_token; renew and finish with a TOKEN act only while the job
 * still holds it (fencing: a runner whose lease was taken over writes
 * nothing), 73 otherwise.  finish_job's TOKEN may be NULL. */
cJSON *store_put_job(struct store *st, const cJSON *req);
cJSON *store_claim_job(struct store *st, const char *service, const char *code,
    long lease);
cJSON *store_renew_job(struct store *st, const char *service, const char *code,
    const char *token, long lease);
cJSON *store_finish_job(struct store *st, const char *service, const char *code,
    const char *status, const char *error, const char *token);
cJSON *store_list_jobs(struct store *st, int expired_only);

/* store_sweep_orphans(st, older_than, dry_run): delete the object
 * versions of the bucket that no CODE# item records (by key and version
 * id) and that are older than OLDER_THAN seconds; with DRY_RUN, only
 * count them.  Returns {listed, referenced, young, orphans, deleted}, or
 * NULL after err_set. */
cJSON *store_sweep_orphans(struct store *st, long older_than, int dry_run);

/* Idempotency keys of the HTTP API's generate (store_idem.c).
 *
 * store_put_idempotency(st, in): IN is {key, request, service_id,
 * code_id}: KEY the client's idempotency key (1 to STORE_IDEM_KEY_MAX
 * printable ASCII characters), REQUEST the request it came with, the ids
 * those of the job the request is to make.  Stores them under the key
 * (its SHA-256) for STORE_IDEM_TTL seconds unless the key names a job
 * already; conditional, so of concurrent requests with one key exactly
 * one stores.  Returns {created, service_id, code_id, created_at}:
 * created true and IN's ids when stored, false and the first request's
 * ids when REQUEST is the same (members in any order).  NULL after
 * err_set: EX_DATAERR for a bad key or ids, CSC_EX_CONFLICT when the key
 * came with another request. */
cJSON *store_put_idempotency(struct store *st, const cJSON *in);

/* store_delete_idempotency(st, in): IN is {key, service_id}: forget the
 * key if it still names SERVICE_ID's job (a request that failed before
 * its job was made).  Returns {deleted: bool}, or NULL after err_set. */
cJSON *store_delete_idempotency(struct store *st, const cJSON *in);

/* The daily spend on Claude (store_budget.c).
 *
 * store_budget_limit(out): *OUT = CSC_DAILY_BUDGET_USD.  Returns 1 when
 * it is set, 0 when unset or empty (no limit), -1 after
 * err_set(EX_CONFIG) when it is not an amount of dollars. */
int store_budget_limit(double *out);

/* store_get_budget(st): today's (UTC) spend against the limit:
 * {day, spent_usd, budget_usd (null: no limit), exhausted (spent at or
 * over the limit), reset_at (the next UTC midnight, RFC 3339),
 * retry_after (seconds until then)}.  NULL after err_set. */
cJSON *store_get_budget(struct store *st);

/* store_add_spend(st, usd): add USD (a JSON number text, 0 to 1e9) to
 * today's spend, atomically (DynamoDB ADD).  Returns {day, spent_usd}
 * (the new total), or NULL after err_set (EX_USAGE for a bad amount). */
cJSON *store_add_spend(struct store *st, const char *usd);

/* store_init(st): create the table and the bucket (SPEC section 5);
 * idempotent.  Returns what it did, with warnings for what the endpoint
 * lacks. */
cJSON *store_init(struct store *st);

#endif /* !CSC_STORE_H */
