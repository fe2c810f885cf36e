"""gunicorn's settings for production (the README's command: `gunicorn crm.wsgi -c gunicorn.conf.py`;
gunicorn also reads this file by itself when started from this directory). Each can be set
from the environment.

- worker_class "gthread" (threads in each worker process): the log's CSV export streams
  for as long as the client takes to download it (minutes for millions of entries). A sync
  worker serves one request at a time and is killed by `timeout` when a request outlasts
  it, download included: a long CSV then broke off and the worker's other users waited.
  In a gthread worker the threads serve the requests while the worker's main loop goes on
  telling the arbiter it is alive, so a long download neither is killed nor blocks the
  worker's other threads.
- timeout 60: a worker process that stops answering for a minute (stuck, not merely busy)
  is killed and replaced. No request needs that long: the heavy work (the Excel export,
  the purge, e-mail) runs in Celery tasks, pages answer in well under a second.
- preload_app: the application is imported once, in the arbiter, and each worker is a fork
  of it. A worker replaced after max_requests (below) then starts in milliseconds instead of
  importing Django again (a second or more of CPU taken from the requests being served), and
  the workers share the imported code's memory. No connection is opened at import time
  (Django's database and cache connections open on first use, in the worker). A new
  release therefore needs a restart of gunicorn, not only a HUP of its workers.
- workers x threads requests at once, each thread with its own database connection: keep
  workers x threads (x CONN_MAX_AGE reuse) within PostgreSQL's max_connections.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# Time to finish the requests under way (a download) on a restart or deployment.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 60))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# Workers are replaced now and then, which bounds the memory of a long-lived process.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 200))
# An access log line per request ("-": standard output), when set.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
