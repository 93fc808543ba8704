"""Each gunicorn worker, once the app is loaded, sets its long-lived objects aside from the garbage
collector and collects young objects less often (portal/serving.py; figures in
docs/performance.md)."""

import gc
import runpy
from pathlib import Path

from portal import serving

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_workers_tune_the_collector_once_the_app_is_loaded(monkeypatch):
    calls = []
    monkeypatch.setattr(serving, "tune_garbage_collector", lambda: calls.append("tuned"))
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    conf["post_worker_init"](worker=None)
    assert calls == ["tuned"]


def test_tuning_freezes_what_is_loaded_and_raises_the_thresholds():
    before = gc.get_threshold()
    try:
        serving.tune_garbage_collector()
        assert gc.get_threshold() == serving.THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_benchmark_leaves_the_collector_as_it_found_it():
    """`flask bench pages` tunes the collector while it measures, as a worker would; the test
    suite runs it too, and the tests after it must not run with a frozen, lazier collector."""
    before = gc.get_threshold()
    with serving.garbage_collector_tuned():
        assert gc.get_threshold() == serving.THRESHOLDS
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
