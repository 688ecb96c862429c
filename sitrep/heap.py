"""Keep Python's cycle collector off the data a build keeps for its whole run.

A build loads its model (at 100k events, millions of objects), indexes it and reads the writer's
records, then keeps all of it to the end. None of it holds reference cycles, so reference counting
frees it, but the cycle collector walks every tracked object at each full collection, and while
the heap grows it runs one each time the long-lived objects grow by a quarter. So `settled`
pauses automatic collection while that data is made, collects once, and freezes what survives
(gc.freeze): later collections, during rendering, walk only what rendering makes. A rebuild
then runs its stages with no automatic collection at all (`paused`).

Measured at 100k events (gc.callbacks): a rebuild after one edit spent 17.1 s collecting, now 4.9 s;
a cold build 20.7 s, now 15.4 s (its other full collections come later, while the writer's records
and the exports grow).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def settled() -> Iterator[None]:
    """Run the block with automatic collection paused; then collect once and freeze the survivors."""
    with paused():
        try:
            yield
        finally:
            gc.collect()  # the cycles the block made, which a frozen object would otherwise keep forever
            gc.freeze()


@contextmanager
def paused() -> Iterator[None]:
    """Run the block (a rebuild's stages and writer, after `settled`) with automatic collection off.

    What they make is freed by reference counting: a build leaves no reference cycles in
    proportion to its site (tests/test_heap.py checks), so the collections found next to nothing
    while they walked the writer's records and the exports as those grew. Measured at 100k events,
    a rebuild after one edit: 14 full collections, 4.6-4.9 s; without them 30.7-36.6 s against
    38.0-39.7 s, the same peak memory. Not on a first build: at 100k events its peak grew from
    1906 to 2024 MB (over the 2 GB it must stay within) for no time saved (336 s against 339 s;
    it waits for the search index's helper anyway). The few cycles a build does leave (its Jinja
    environment and compiled templates) go at the next collection after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def tidy() -> None:
    """Between a long-lived process's builds (serve): look at every object again, frozen ones too.

    A frozen object in a cycle that has since become garbage (a previous build's, let go) is
    freed only by a collection after unfreezing. Costs one full collection; the survivors are
    frozen again, so the next build's collections skip them."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
