"""gunicorn's settings (`gunicorn -c config/gunicorn.py config.wsgi`): its own logs go through the
product's formatter (JSON lines in production); no access log of its own — the product's
middleware logs each request with its id, user and duration (core/middleware.py)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # read before --chdir applies

from config.settings import LOGGING

bind = "0.0.0.0:8000"
# WEB_CONCURRENCY (gunicorn's own variable) sets the number of worker processes.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = 60
accesslog = None
errorlog = "-"
logconfig_dict = LOGGING
# Behind a proxy the scheme comes from X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER in settings).
forwarded_allow_ips = "*"
# No control socket: nothing here uses it, and the unprivileged user has no writable $HOME.
control_socket_disable = True
