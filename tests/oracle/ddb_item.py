#!/usr/bin/env python3
"""ddb_item.py: boto3 as an independent reader and writer of csc's items.

  ddb_item.py get PK SK     print the item, read through boto3's
                            TypeDeserializer, as plain JSON with sorted keys
                            and numbers in their exact digits; exit 1 if
                            there is no such item
  ddb_item.py put PK SK     write the plain JSON object on stdin as an item
                            through TypeSerializer (numbers as Decimal)

The table is CSC_TABLE (default CloudServiceCreator); the endpoint and
credentials come from the environment, as for any AWS tool.  A test oracle,
never a dependency of csc itself.
"""
import decimal
import json
import os
import sys

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer


def encode(v):
    """Compact JSON of V, keys sorted, Decimals written digit for digit."""
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" +
                              encode(x) for k, x in sorted(v.items())) + "}"
    if isinstance(v, (list, set)):
        return "[" + ",".join(encode(x) for x in v) + "]"
    if isinstance(v, decimal.Decimal):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("get", "put"):
        sys.exit("usage: ddb_item.py get|put PK SK")
    op, pk, sk = sys.argv[1:4]
    table = os.environ.get("CSC_TABLE", "CloudServiceCreator")
    ddb = boto3.client("dynamodb")
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    if op == "get":
        item = ddb.get_item(TableName=table, Key=key,
                            ConsistentRead=True).get("Item")
        if item is None:
            sys.exit(1)
        d = TypeDeserializer()
        print(encode({k: d.deserialize(v) for k, v in item.items()}))
    else:
        doc = json.load(sys.stdin, parse_float=decimal.Decimal,
                        parse_int=decimal.Decimal)
        s = TypeSerializer()
        item = {k: s.serialize(v) for k, v in doc.items()}
        item.update(key)
        ddb.put_item(TableName=table, Item=item)


if __name__ == "__main__":
    main()
