"""gunicorn settings for production (`gunicorn -c gunicorn.conf.py initiator_site.wsgi`).

Every value can be overridden from the environment (GUNICORN_*); see README "Production".
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
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
