#!/usr/bin/env python3
"""boto3's generate_presigned_url for N distinct keys in one process (the
peer SPEC section 10 names); prints the median and mean ns per URL over
15 rounds, like bench_presign."""
import json
import statistics
import sys
import time

import boto3
from botocore.config import Config

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
client = boto3.client("s3", region_name="us-east-1",
                      aws_access_key_id="AKID", aws_secret_access_key="SECRET",
                      config=Config(signature_version="s3v4",
                                    s3={"addressing_style": "virtual"}))
keys = ["4b1e0c9a-1111-4222-8333-%012d/5c2f0d9b-2222-4333-8444-"
        "555566667777/backend_service.py" % i for i in range(n)]
rounds = []
for _ in range(15 if n <= 2000 else 5):
    t0 = time.perf_counter_ns()
    for k in keys:
        client.generate_presigned_url(
            "get_object", Params={"Bucket": "cloudservicecreator-code",
                                  "Key": k}, ExpiresIn=3600)
    rounds.append((time.perf_counter_ns() - t0) / n)
print(json.dumps({"urls": n, "median_ns_per_url": round(statistics.median(rounds)),
                  "mean_ns_per_url": round(statistics.mean(rounds))}))
