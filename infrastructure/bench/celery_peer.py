"""The benchmark's peer: the classic fix mailbatch replaces, Celery + Redis.

One task per email (`send.delay(...)`), a worker with a thread pool of C, Redis as broker and
result backend, the caller waiting for every result, as a web app's status view would. Each task
POSTs its email to the same outbox mailbatch's worker posts to, with an Idempotency-Key.

    python celery_peer.py --broker redis://127.0.0.1:PORT/0 --outbox URL --n 5000 --concurrency 80

starts a worker (a child process, `celery worker --pool=threads`), waits until it answers a
ping, then times dispatching the N tasks and waiting for all of their results, and prints one
JSON line: {"n", "concurrency", "dispatchSeconds", "makespanSeconds", "failed"}.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

from celery import Celery
from celery.result import ResultSet

BROKER = os.environ.get("PEER_BROKER", "redis://127.0.0.1:6379/0")
app = Celery("celery_peer", broker=BROKER, backend=BROKER)
app.conf.update(
    task_acks_late=True,  # at-least-once, as SQS: a task is acknowledged after it ran
    worker_prefetch_multiplier=4,
    result_expires=3600,
    broker_connection_retry_on_startup=True,
)

_local = threading.local()


def _connection(outbox):
    """One keep-alive HTTP connection per worker thread, as a requests.Session per thread would."""
    url = urllib.parse.urlsplit(outbox)
    if getattr(_local, "conn", None) is None:
        _local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    return _local.conn, url.path + ("?" + url.query if url.query else "")


@app.task(bind=True, max_retries=20)
def send(self, outbox, key, to):
    """Sends one email; a 5xx or 429 is retried after a short back-off, as the mailbatch worker does."""
    body = json.dumps({"from": "bench@mailbatch.example", "to": to, "subject": "bench", "text": "x"})
    conn, path = _connection(outbox)
    try:
        conn.request("POST", path, body=body,
                     headers={"Content-Type": "application/json", "Idempotency-Key": key})
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        _local.conn = None
        status = 599
    if status >= 500 or status == 429:
        raise self.retry(countdown=min(2 ** self.request.retries * 0.1, 4))
    return status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--run", default="peer")
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_peer", "worker", "--pool=threads",
         "--concurrency=%d" % args.concurrency, "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=here, env=dict(os.environ, PEER_BROKER=BROKER),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not app.control.ping(timeout=0.5):
            if worker.poll() is not None or time.time() > deadline:
                sys.exit("celery_peer: the worker did not start")
        start = time.perf_counter()
        results = [send.delay(args.outbox, "%s-%d" % (args.run, i), "r%d@peer.example" % i)
                   for i in range(args.n)]
        dispatched = time.perf_counter()
        values = ResultSet(results).join_native(timeout=3600, propagate=False)
        done = time.perf_counter()
        failed = sum(1 for v in values if v != 200)
        print(json.dumps({"n": args.n, "concurrency": args.concurrency,
                          "dispatchSeconds": round(dispatched - start, 3),
                          "makespanSeconds": round(done - start, 3), "failed": failed}))
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()


if __name__ == "__main__":
    main()
