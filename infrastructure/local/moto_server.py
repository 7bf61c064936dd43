"""moto server as mailbatch runs it (tests and the local runner): the pinned moto, with two
fixes to its DynamoDB backend, then moto's own command line (same arguments as moto_server).

1. Atomic operations. moto serves requests on many threads, but its DynamoDB backend has no
   locking: a TransactWriteItems that snapshots a table while another request adds an item
   fails with "dictionary changed size during iteration" (HTTP 500). DynamoDB runs each
   operation atomically, so each backend call here holds one lock.
2. A rollback snapshot of what a transaction touches. moto 5.2.5's transact_write_items
   deep-copies the whole table once per item of the transaction, to put it back if the
   transaction is cancelled: 51 deep copies of a 10,000-item table for one of mailbatch's chunk
   writes, seconds each. Here the snapshot shares the untouched items with the table (a copy of
   its index dicts) and deep-copies only the items the transaction names; it is taken once per
   table and call. The rollback moto performs with it is unchanged.

Neither fix changes an answer moto gives; they make it answer under concurrency and at the
table sizes of a 10,000-recipient job.
"""
import copy
import functools
import sys
import threading
from collections import defaultdict

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.server import main

_lock = threading.RLock()
_snapshots = threading.local()


def _atomic(method):
    @functools.wraps(method)
    def call(*args, **kwargs):
        with _lock:
            return method(*args, **kwargs)

    return call


for _name, _attribute in list(vars(DynamoDBBackend).items()):
    if callable(_attribute) and not _name.startswith("_"):
        setattr(DynamoDBBackend, _name, _atomic(_attribute))

_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items_with_snapshots(self, transact_items, *args, **kwargs):
    touched = {}
    for item in transact_items:
        _, op = next(iter(item.items()))
        key = op.get("Key") or op.get("Item")
        if isinstance(op, dict) and op.get("TableName") and isinstance(key, dict):
            touched.setdefault(op["TableName"], []).append(key)
    _snapshots.touched = touched
    _snapshots.taken = {}
    try:
        return _transact_write_items(self, transact_items, *args, **kwargs)
    finally:
        _snapshots.taken = None
        _snapshots.touched = None


DynamoDBBackend.transact_write_items = _transact_write_items_with_snapshots


def _snapshot(table, keys):
    """A copy of the table that rollback can put back: every item shared, but those in keys copied."""
    snapshot = copy.copy(table)
    snapshot.items = defaultdict(dict)
    for hash_value, stored in table.items.items():
        snapshot.items[hash_value] = dict(stored) if table.has_range_key else stored
    for key in keys:
        if table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        if table.has_range_key:
            if table.range_key_attr not in key:
                continue
            range_value = DynamoType(key[table.range_key_attr])
            if range_value in table.items.get(hash_value, {}):
                snapshot.items[hash_value][range_value] = copy.deepcopy(table.items[hash_value][range_value])
        elif hash_value in table.items:
            snapshot.items[hash_value] = copy.deepcopy(table.items[hash_value])
    return snapshot


class _SnapshotInTransaction:
    """Stands in for the copy module inside moto.dynamodb.models."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, *args, **kwargs):
        taken = getattr(_snapshots, "taken", None)
        if taken is None or not isinstance(value, dynamodb_models.Table):
            return copy.deepcopy(value, *args, **kwargs)
        if id(value) not in taken:
            taken[id(value)] = _snapshot(value, _snapshots.touched.get(value.name, []))
        return taken[id(value)]


dynamodb_models.copy = _SnapshotInTransaction()

if __name__ == "__main__":
    sys.exit(main())
