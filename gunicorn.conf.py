"""gunicorn settings (`gunicorn -c gunicorn.conf.py initiator_site.wsgi`), for serving behind
a proxy that buffers requests (nginx, a cloud load balancer). With nothing like that in front,
serve with `python -m initiator_site.serve` (waitress) instead: gunicorn's sync and gthread
workers read a request in the worker itself, so a client that sends slowly holds one.

Every value can be overridden from the environment (GUNICORN_*); see README "Production".
"""

import logging
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Sync workers (gunicorn's default class; one request per process at a time, the connection closed
# after each response), for behind a buffering proxy. Their latency tail is short: gthread's
# keep-alive connections stay with the process that accepted them, and the busiest process sets
# the p99 (`make bench` on 2 cores: p99 of the receiver 21-33 ms with 5 sync workers, 34-110 ms
# with 5 x 4 gthread). GUNICORN_THREADS > 1 makes gunicorn use gthread workers with keep-alive
# (each thread is still held by a slow client: this is no defence against them).
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# The webhook receiver answers in milliseconds; anything slower than this is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Request line and header limits well under BigCommerce's needs but bounded.
limit_request_line = 4094
limit_request_fields = 100


def post_fork(server, worker):
    """The access log's request lines without the survey and unsubscribe tokens."""
    from initiator_site.log_filters import RedactTokens

    logging.getLogger("gunicorn.access").addFilter(RedactTokens())
