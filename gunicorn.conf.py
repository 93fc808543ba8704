"""Gunicorn reads this file from the current directory: `gunicorn wsgi:app --workers 4 …`.

Rate limits (sign-in, messages, uploads) are counters: with several worker processes, or several
app servers, they only hold if every process counts in the same place (Redis, through
RATELIMIT_STORAGE_URI). With `memory://` each worker keeps its own counts and a limit of 20 becomes
20 per worker. In production the portal therefore refuses to start several workers on memory://;
elsewhere it warns.

Each worker, once it has loaded the app, sets its long-lived objects aside from the garbage
collector and collects the youngest objects less often (portal/serving.py).
"""

from config import config_for_env, settings_from_environment


def on_starting(server):
    config = config_for_env()
    storage = settings_from_environment().get("RATELIMIT_STORAGE_URI", config.RATELIMIT_STORAGE_URI)
    if not storage.startswith("memory://") or server.cfg.workers < 2:
        return
    message = (
        f"{server.cfg.workers} workers count rate limits separately with "
        "RATELIMIT_STORAGE_URI=memory://: set it to Redis (e.g. redis://127.0.0.1:6379), "
        "shared by every worker and app server."
    )
    if config.PORTAL_ENV == "production":
        raise RuntimeError(message)  # gunicorn prints "Error: …" and exits with status 1
    server.log.warning(message)


def post_worker_init(worker):
    from portal.serving import tune_garbage_collector

    tune_garbage_collector()
