/*
 * bench_presign [N]: sign N presigned URLs (default 10000) for distinct
 * keys with one presigner (and its aws_client), as csc-presign does for one document, and
 * print the median and mean nanoseconds per URL over 15 rounds.  Reads
 * credentials, region and endpoint like csc-presign, except that the
 * instance metadata service is off unless AWS_EC2_METADATA_DISABLED says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "presign.h"

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

int
main(int argc, char *argv[])
{
	struct aws_client aws;
	struct presigner p;
	double per[15], sum = 0;
	char key[128];
	long n = argc > 1 ? atol(argv[1]) : 10000, i;
	int r;
	long long t0;
	size_t bytes = 0;

	err_init("bench_presign");
	/* A benchmark never asks the instance metadata service. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 0);
	if (n < 1 || aws_client_init(&aws) ||
	    presigner_init(&p, &aws, "GET", 3600))
		return (err_code());
	for (r = 0; r < 15; r++) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key),
			    "4b1e0c9a-1111-4222-8333-%012ld/5c2f0d9b-2222-4333-"
			    "8444-555566667777/backend_service.py",
			    i);
			const char *url = presign_url(&p,
			    "cloudservicecreator-code", key, NULL, NULL,
			    1764072000);
			if (url == NULL)
				return (err_code());
			bytes += (size_t)url[0];
		}
		per[r] = (double)(now_ns() - t0) / (double)n;
		sum += per[r];
	}
	qsort(per, 15, sizeof(per[0]), cmp);
	printf(
	    "{\"urls\":%ld,\"median_ns_per_url\":%.0f,\"mean_ns_per_url\":%.0f,"
	    "\"min_ns_per_url\":%.0f,\"check\":%zu}\n",
	    n, per[7], sum / 15, per[0], bytes % 7);
	presigner_free(&p);
	aws_client_free(&aws);
	return (0);
}
