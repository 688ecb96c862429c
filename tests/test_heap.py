from __future__ import annotations

import gc
import weakref

import pytest

from sitrep import heap


class Node:
    """A tracked object that can be put in a cycle and watched through a weak reference."""

    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settled_pauses_collection_then_freezes_what_the_block_kept() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    with heap.settled():
        assert not gc.isenabled()
        kept = [Node() for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(kept)
    assert all(gc.is_tracked(n) for n in kept)


def test_settled_collects_the_cycles_the_block_dropped_before_freezing() -> None:
    with heap.settled():
        dropped = _cycle()
        assert dropped() is not None  # nothing collects while the block runs
    assert dropped() is None


def test_settled_restores_the_collector_as_it_was_even_on_an_error() -> None:
    gc.disable()
    try:
        with heap.settled():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), heap.settled():
        raise RuntimeError("a content error, say")
    assert gc.isenabled()


def test_tidy_frees_a_frozen_cycle_let_go_since() -> None:
    holder = [Node(), Node()]
    holder[0].other, holder[1].other = holder[1], holder[0]
    watched = weakref.ref(holder[0])
    with heap.settled():
        pass
    assert gc.is_tracked(holder[0])
    del holder
    gc.collect()
    assert watched() is not None  # frozen: a collection does not look at it
    heap.tidy()
    assert watched() is None
