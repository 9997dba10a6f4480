"""A pause of Python's cyclic garbage collector around work that allocates in bulk (the snapshot job's batches, a
backtest's months of reports).

Such work allocates hundreds of thousands of short-lived, acyclic objects (Decimals, the engine's dataclasses, row
tuples, report dicts), which reference counting frees anyway; each collection of the oldest generation walks every
live object of the process, Django's included. Anything cyclic left over is collected as usual afterwards."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (nested pauses are no-ops)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
