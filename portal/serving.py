"""How a process that serves pages treats Python's cyclic garbage collector.

A page allocates tens of thousands of container objects (ORM rows, template contexts, markup), so
with CPython's default thresholds (a collection of the youngest generation every 700 net
allocations) a request triggers about two collections, and now and then a full one that walks
every object of the app (measured at full size: a caseload request at p50 37 ms took up to
166–204 ms when a full collection fell on it). Objects that live as long as the process (modules,
the app, its routes, the translation catalogs) are set aside once they are loaded, and the
youngest generation is collected less often: most of a request's objects are freed by reference
counting before any collection sees them.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# The youngest generation is collected after this many net allocations (CPython's default: 700);
# the two older ones after this many collections of the younger one (default: 10 and 10).
THRESHOLDS = (20_000, 20, 20)


def tune_garbage_collector() -> None:
    """Call once the app is loaded (gunicorn's `post_worker_init`, or before measuring it)."""
    gc.collect()
    gc.freeze()  # what exists now lives as long as the process: never scanned again
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def garbage_collector_tuned() -> Iterator[None]:
    """`tune_garbage_collector` for a stretch of work in a process that goes on afterwards (the
    benchmark, also run by the test suite): the collector is as it was when it ends."""
    thresholds = gc.get_threshold()
    tune_garbage_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
