/*
 * store_job: the job records of asynchronous generations.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "ddbjson.h"
#include "digest.h"
#include "err.h"
#include "ids.h"
#include "jsonio.h"
#include "store.h"
#include "store_int.h"

/*
 * A job is the CODE# item of a generation that runs asynchronously.
 * While it is pending or running it carries job_queue = "active" and
 * lease_until (seconds since the epoch): the two keys of the sparse
 * global secondary index jobs-by-lease.  The sweeper's Query of that index
 * (job_queue = "active" AND lease_until < now) reads only live jobs whose
 * lease has run out, never the table; finished jobs drop both attributes
 * and so leave the index.  A pending job's lease_until is its creation
 * time less a second: it is queued ("expired") from the start, oldest
 * first, for whichever runner has a free slot (csc-job) to claim.
 */

/* The job view of a CODE# item: its plain document with ids. */
static cJSON *
job_doc(const cJSON *item, const char *service, const char *code)
{
	cJSON *doc = store_plain_of(item);

	if (doc != NULL &&
	    (jsonio_set(doc, "service_id", cJSON_CreateString(service)) ||
	        jsonio_set(doc, "code_id", cJSON_CreateString(code)))) {
		cJSON_Delete(doc); /* jsonio_set reported */
		return (NULL);
	}
	return (doc);
}

/* Report why a conditional job update failed: no such job (66), or a
 * status that does not allow it (73). */
static void
job_refused(struct store *st, const char *service, const char *code,
    const char *what, const char *token)
{
	cJSON *item = NULL;
	const char *status, *had;
	const cJSON *lease;

	if (store_get_item(st, store_code_key(service, code), &item))
		return;
	if (item == NULL) {
		err_set(EX_NOINPUT, "job %s/%s not found", service, code);
		return;
	}
	status = store_item_string(item, "status");
	had = store_item_string(item, "lease_token");
	if (token != NULL && (had == NULL || strcmp(had, token) != 0)) {
		err_set(CSC_EX_CONFLICT,
		    "job %s/%s cannot be %s: another runner's lease "
		    "holds it now",
		    service, code, what);
		cJSON_Delete(item);
		return;
	}
	lease = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "lease_until"), "N");
	err_set(CSC_EX_CONFLICT, "job %s/%s cannot be %s: it is %s%s%s",
	    service, code, what, status ? status : "of unknown status",
	    cJSON_IsString(lease) ? ", leased until " : "",
	    cJSON_IsString(lease) ? lease->valuestring : "");
	cJSON_Delete(item);
}

cJSON *
store_put_job(struct store *st, const cJSON *in)
{
	const char *service = jsonio_string(in, "service_id");
	const char *code = jsonio_string(in, "code_id");
	char sid[37], cid[37];
	cJSON *plain = NULL, *item = NULL, *req = NULL, *resp = NULL,
	      *out = NULL;
	cJSON *k;
	const cJSON *v;
	time_t now = clock_now();
	int r;

	if (!cJSON_IsObject(in)) {
		err_set(EX_DATAERR, "a job must be a JSON object");
		return (NULL);
	}
	/* Ids the caller leaves out are made here. */
	if (service == NULL && cJSON_GetObjectItem(in, "service_id") == NULL) {
		ids_new(sid);
		service = sid;
	}
	if (code == NULL && cJSON_GetObjectItem(in, "code_id") == NULL) {
		ids_new(cid);
		code = cid;
	}
	if (ids_check("service_id", service) || ids_check("code_id", code))
		return (NULL);
	v = cJSON_GetObjectItemCaseSensitive(in, "conversation_id");
	if (v != NULL && !cJSON_IsNull(v) &&
	    ids_check("conversation_id",
	        cJSON_IsString(v) ? v->valuestring : "(not text)"))
		return (NULL);
	if ((plain = cJSON_Duplicate(in, 1)) == NULL)
		return (store_oom());
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "service_id");
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "code_id");
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "pk");
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "sk");
	if (jsonio_set(plain, "status", cJSON_CreateString("pending")) ||
	    jsonio_set(plain, "attempts", cJSON_CreateNumber(0)) ||
	    jsonio_set(plain, "job_queue",
	        cJSON_CreateString(STORE_JOB_QUEUE)) ||
	    jsonio_set(plain, "lease_until",
	        cJSON_CreateNumber((double)(now - 1))) ||
	    jsonio_set(plain, "created_at", store_time_string(now)) ||
	    jsonio_set(plain, "updated_at", store_time_string(now)))
		goto nomem;
	if ((item = ddbjson_marshal_item(plain)) == NULL)
		goto done;
	if ((k = store_code_key(service, code)) == NULL)
		goto done;
	cJSON_AddItemToObject(item, "pk", cJSON_DetachItemFromObject(k, "pk"));
	cJSON_AddItemToObject(item, "sk", cJSON_DetachItemFromObject(k, "sk"));
	cJSON_Delete(k);
	if ((req = cJSON_CreateObject()) == NULL)
		goto nomem;
	cJSON_AddStringToObject(req, "TableName", st->table);
	cJSON_AddItemReferenceToObject(req, "Item", item);
	cJSON_AddStringToObject(req, "ConditionExpression",
	    "attribute_not_exists(pk)");
	if ((r = ddb_call(&st->ddb, "PutItem", req, &resp,
	         "ConditionalCheckFailedException")) < 0)
		goto done;
	if (r == 1) {
		err_set(CSC_EX_CONFLICT, "job %s/%s already exists", service,
		    code);
		goto done;
	}
	out = job_doc(item, service, code);
	goto done;
nomem:
	store_oom();
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	cJSON_Delete(item);
	cJSON_Delete(plain);
	return (out);
}

/* Send the job update U on SERVICE/CODE under CONDITION; the new item's
 * job view, or NULL after err_set (66/73 when the condition fails). */
static cJSON *
job_update(struct store *st, const char *service, const char *code,
    struct update *u, const char *condition, const char *what,
    const char *token)
{
	cJSON *req, *resp = NULL, *out = NULL;
	int r;

	if ((req = upd_request(u, st->table, store_code_key(service, code),
	         condition, "ALL_NEW")) == NULL)
		return (NULL);
	r = ddb_call(&st->ddb, "UpdateItem", req, &resp,
	    "ConditionalCheckFailedException");
	if (r == 1)
		job_refused(st, service, code, what, token);
	else if (r == 0)
		out = job_doc(
		    cJSON_GetObjectItemCaseSensitive(resp, "Attributes"),
		    service, code);
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (out);
}

cJSON *
store_claim_job(struct store *st, const char *service, const char *code,
    long lease)
{
	struct update u;
	cJSON *out = NULL;
	time_t now = clock_now();
	char token[37];

	if (ids_check("service id", service) || ids_check("code id", code))
		return (NULL);
	/* A new token for each claim: the runner's writes are conditional
	 * on it, so one whose lease was taken over writes nothing. */
	ids_new(token);
	if (upd_init(&u) ||
	    upd_set(&u, "status", cJSON_CreateString("running")) ||
	    upd_set(&u, "lease_token", cJSON_CreateString(token)) ||
	    upd_set(&u, "job_queue", cJSON_CreateString(STORE_JOB_QUEUE)) ||
	    upd_set(&u, "lease_until",
	        cJSON_CreateNumber((double)(now + lease))) ||
	    upd_set(&u, "claimed_at", store_time_string(now)) ||
	    upd_set(&u, "updated_at", store_time_string(now)) ||
	    upd_name(&u, "attempts") ||
	    upd_value(&u, "one", cJSON_CreateNumber(1)) ||
	    upd_value(&u, "zero", cJSON_CreateNumber(0)) ||
	    buf_addstr(&u.set, ", #attempts = if_not_exists(#attempts, :zero) "
	                       "+ :one") ||
	    upd_value(&u, "pending", cJSON_CreateString("pending")) ||
	    upd_value(&u, "running", cJSON_CreateString("running")) ||
	    upd_value(&u, "now", cJSON_CreateNumber((double)now))) {
		store_oom();
		goto done;
	}
	/* Pending, or running under a lease that ran out (its runner died):
	 * of two claimants, the condition lets one through. */
	out = job_update(st, service, code, &u,
	    "attribute_exists(pk) AND (#status = :pending OR "
	    "(#status = :running AND #lease_until < :now))",
	    "claimed", NULL);
done:
	upd_free(&u);
	return (out);
}

cJSON *
store_renew_job(struct store *st, const char *service, const char *code,
    const char *token, long lease)
{
	struct update u;
	cJSON *out = NULL;
	time_t now = clock_now();

	if (ids_check("service id", service) || ids_check("code id", code) ||
	    ids_check("lease token", token))
		return (NULL);
	if (upd_init(&u) ||
	    upd_set(&u, "lease_until",
	        cJSON_CreateNumber((double)(now + lease))) ||
	    upd_set(&u, "updated_at", store_time_string(now)) ||
	    upd_name(&u, "status") || upd_name(&u, "lease_token") ||
	    upd_value(&u, "running", cJSON_CreateString("running")) ||
	    upd_value(&u, "token", cJSON_CreateString(token))) {
		store_oom();
		goto done;
	}
	/* Only the runner that holds the lease renews it; a lease that ran
	 * out but was not claimed again is still its own. */
	out = job_update(st, service, code, &u,
	    "attribute_exists(pk) AND #status = :running AND "
	    "#lease_token = :token",
	    "renewed", token);
done:
	upd_free(&u);
	return (out);
}

cJSON *
store_finish_job(struct store *st, const char *service, const char *code,
    const char *status, const char *error, const char *token)
{
	struct update u;
	cJSON *out = NULL;
	time_t now = clock_now();
	int done = strcmp(status, "done") == 0;
	char cond[256];

	if (!done && strcmp(status, "failed") != 0) {
		err_set(EX_USAGE, "--status must be done or failed");
		return (NULL);
	}
	if (ids_check("service id", service) || ids_check("code id", code) ||
	    (token != NULL && ids_check("lease token", token)))
		return (NULL);
	if (upd_init(&u) || upd_set(&u, "status", cJSON_CreateString(status)) ||
	    upd_set(&u, "finished_at", store_time_string(now)) ||
	    upd_set(&u, "updated_at", store_time_string(now)) ||
	    (error != NULL &&
	        upd_set(&u, "error", cJSON_CreateString(error))) ||
	    upd_remove(&u, "job_queue") || upd_remove(&u, "lease_until") ||
	    (done && upd_name(&u, "files")) ||
	    upd_value(&u, "pending", cJSON_CreateString("pending")) ||
	    upd_value(&u, "running", cJSON_CreateString("running")) ||
	    (token != NULL &&
	        (upd_name(&u, "lease_token") ||
	            upd_value(&u, "token", cJSON_CreateString(token))))) {
		store_oom();
		goto done;
	}
	/* From pending or running, or again to the same end (a retry).  Done
	 * needs the files put-code stored; failed never replaces done.  With
	 * a token, only the runner holding the lease finishes the job. */
	snprintf(cond, sizeof(cond), "%s%s",
	    done ? "attribute_exists(pk) AND attribute_exists(#files) AND "
	           "#status IN (:pending, :running, :status)"
	         : "attribute_exists(pk) AND #status IN (:pending, :running, "
	           ":status)",
	    token != NULL ? " AND #lease_token = :token" : "");
	out = job_update(st, service, code, &u, cond,
	    done ? "finished as done" : "finished as failed", token);
done:
	upd_free(&u);
	return (out);
}

struct job_list {
	cJSON *jobs;
};

static int
add_job(const cJSON *item, void *ctx)
{
	struct job_list *jl = ctx;
	const char *pk = store_item_string(item, "pk"),
	           *sk = store_item_string(item, "sk");
	cJSON *doc;

	if (pk == NULL || sk == NULL || strncmp(pk, "SERVICE#", 8) != 0 ||
	    strncmp(sk, "CODE#", 5) != 0)
		return (0);
	if ((doc = job_doc(item, pk + 8, sk + 5)) == NULL)
		return (-1);
	cJSON_AddItemToArray(jl->jobs, doc);
	return (0);
}

cJSON *
store_list_jobs(struct store *st, int expired_only)
{
	struct job_list jl;
	cJSON *req = cJSON_CreateObject(), *vals, *out = NULL;
	char now[32];

	jl.jobs = cJSON_CreateArray();
	snprintf(now, sizeof(now), "%lld", (long long)clock_now());
	if (req == NULL || jl.jobs == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddStringToObject(req, "IndexName", STORE_JOBS_INDEX) ||
	    !cJSON_AddStringToObject(req, "KeyConditionExpression",
	        expired_only ? "job_queue = :q AND lease_until < :now"
	                     : "job_queue = :q") ||
	    (vals = cJSON_AddObjectToObject(req,
	         "ExpressionAttributeValues")) == NULL ||
	    !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":q"), "S",
	        STORE_JOB_QUEUE) ||
	    (expired_only &&
	        !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":now"),
	            "N", now))) {
		store_oom();
		goto done;
	}
	if (ddb_query_all(&st->ddb, "Query", req, add_job, &jl))
		goto done;
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(out, "jobs", jl.jobs)) {
		cJSON_Delete(out);
		out = store_oom();
		goto done;
	}
	jl.jobs = NULL;
done:
	cJSON_Delete(jl.jobs);
	cJSON_Delete(req);
	return (out);
}
