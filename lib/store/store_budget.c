/*
 * store_budget: the daily spend on Claude, one counter per UTC day, and
 * the limit CSC_DAILY_BUDGET_USD puts on it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "jsonio.h"
#include "store.h"
#include "store_int.h"

/*
 * One item per UTC day: pk BUDGET#YYYY-MM-DD, sk DATA, spent_usd (a
 * DynamoDB number, exact decimal: each ADD is applied atomically on the
 * server, so concurrent runners never lose a cost), updated_at, and
 * expires_at STORE_BUDGET_KEEP seconds after the day's end for the
 * table's TTL.
 */

#define DAY 86400L
#define MAX_USD 1e9 /* no one amount or budget is larger */

/* The day of NOW: DAY_TEXT ("YYYY-MM-DD") and the start of the next day,
 * *NEXT.  time_t counts no leap seconds, so a UTC day is 86400 of them. */
static int
day_of(time_t now, char day_text[11], time_t *next)
{
	char t[21];

	*next = now - now % DAY + DAY;
	if (clock_rfc3339(now, t)) {
		err_set(EX_SOFTWARE, "the time %lld cannot be shown",
		    (long long)now);
		return (-1);
	}
	memcpy(day_text, t, 10);
	day_text[10] = '\0';
	return (0);
}

/* An amount of US dollars: a JSON number from 0 to MAX_USD.  Returns 0
 * with *OUT, or -1 (reporting nothing). */
static int
parse_usd(const char *text, double *out)
{
	char *end;
	double v;

	if (text == NULL || !jsonio_is_number_text(text))
		return (-1);
	v = strtod(text, &end);
	if (*end != '\0' || !isfinite(v) || v < 0 || v > MAX_USD)
		return (-1);
	*out = v;
	return (0);
}

int
store_budget_limit(double *out)
{
	const char *v = getenv("CSC_DAILY_BUDGET_USD");

	if (v == NULL || *v == '\0')
		return (0);
	if (parse_usd(v, out)) {
		err_set(EX_CONFIG,
		    "CSC_DAILY_BUDGET_USD must be an amount of US dollars "
		    "from 0 to %.0f (such as 20 or 5.50)",
		    MAX_USD);
		return (-1);
	}
	return (1);
}

cJSON *
store_get_budget(struct store *st)
{
	cJSON *item = NULL, *out = NULL, *n;
	const char *spent_text = "0";
	char day[11], reset[21];
	double limit = 0, spent;
	time_t now = clock_now(), next;
	int has_limit;

	if ((has_limit = store_budget_limit(&limit)) < 0 ||
	    day_of(now, day, &next) || clock_rfc3339(next, reset))
		return (NULL);
	if (store_get_item(st, store_item_key("BUDGET", day, "DATA"), &item))
		return (NULL);
	n = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "spent_usd"), "N");
	if (cJSON_IsString(n))
		spent_text = n->valuestring;
	if (parse_usd(spent_text, &spent)) {
		err_set(EX_UNAVAILABLE, "BUDGET#%s: spent_usd is not an amount",
		    day);
		goto done;
	}
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(out, "day", day) ||
	    !cJSON_AddItemToObject(out, "spent_usd",
	        jsonio_number_from_text(spent_text)) ||
	    !cJSON_AddItemToObject(out, "budget_usd",
	        has_limit
	            ? jsonio_number_from_text(getenv("CSC_DAILY_BUDGET_USD"))
	            : cJSON_CreateNull()) ||
	    !cJSON_AddBoolToObject(out, "exhausted",
	        has_limit && spent >= limit) ||
	    !cJSON_AddStringToObject(out, "reset_at", reset) ||
	    !cJSON_AddNumberToObject(out, "retry_after",
	        (double)(next - now))) {
		cJSON_Delete(out);
		out = store_oom();
	}
done:
	cJSON_Delete(item);
	return (out);
}

cJSON *
store_add_spend(struct store *st, const char *usd)
{
	cJSON *req = NULL, *resp = NULL, *out = NULL, *names, *vals, *n;
	char day[11], amount[32], exp[32];
	double v;
	time_t now = clock_now(), next;

	if (parse_usd(usd, &v)) {
		err_set(EX_USAGE,
		    "add-spend: '%.32s' is not an amount of US dollars "
		    "from 0 to %.0f",
		    usd != NULL ? usd : "", MAX_USD);
		return (NULL);
	}
	if (day_of(now, day, &next))
		return (NULL);
	/* Costs are whole millionths of a dollar (csc-generate rounds them):
	 * fixed-point text, never an exponent DynamoDB might refuse. */
	snprintf(amount, sizeof(amount), "%.6f", v);
	snprintf(exp, sizeof(exp), "%lld",
	    (long long)(next + STORE_BUDGET_KEEP));
	if ((req = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddItemToObject(req, "Key",
	        store_item_key("BUDGET", day, "DATA")) ||
	    !cJSON_AddStringToObject(req, "UpdateExpression",
	        "ADD #spent :amount SET #exp = :exp, #updated = :updated") ||
	    (names = cJSON_AddObjectToObject(req,
	         "ExpressionAttributeNames")) == NULL ||
	    !cJSON_AddStringToObject(names, "#spent", "spent_usd") ||
	    !cJSON_AddStringToObject(names, "#exp", "expires_at") ||
	    !cJSON_AddStringToObject(names, "#updated", "updated_at") ||
	    (vals = cJSON_AddObjectToObject(req,
	         "ExpressionAttributeValues")) == NULL ||
	    !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":amount"),
	        "N", amount) ||
	    !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":exp"), "N",
	        exp) ||
	    !cJSON_AddItemToObject(cJSON_AddObjectToObject(vals, ":updated"),
	        "S", store_time_string(now)) ||
	    !cJSON_AddStringToObject(req, "ReturnValues", "ALL_NEW")) {
		store_oom();
		goto done;
	}
	if (ddb_call(&st->ddb, "UpdateItem", req, &resp, NULL))
		goto done;
	n = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(resp, "Attributes"),
	        "spent_usd"),
	    "N");
	if (!cJSON_IsString(n)) {
		err_set(EX_UNAVAILABLE,
		    "DynamoDB UpdateItem: no spent_usd in the answer");
		goto done;
	}
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(out, "day", day) ||
	    !cJSON_AddItemToObject(out, "spent_usd",
	        jsonio_number_from_text(n->valuestring))) {
		cJSON_Delete(out);
		out = store_oom();
	}
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (out);
}
