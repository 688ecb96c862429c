"""What validating each content file gave (validate.CheckMemo), kept on disk for the next build from
the command line, as `serve` keeps it in memory (warm.py).

Validating every event again is most of a build's first seconds when little changed: at 10k events
~2 s, against ~0.4 s to read this file back; at 100k, 19 s against 5 s. The file is saved as the
parse cache is (load.ParseCache.save): when none exists yet or at least one file in SAVE_SHARE was
read anew, so a build after an edit does not pay for saving it, and the next one validates the few
files the memo lacks. Each entry is keyed by the file's path and digest and used only while the
files events are checked against are the same (CheckMemo), and the whole file only by the Sitrep
code and Python that wrote it: validation rules change with the code.
"""

from __future__ import annotations

import logging
import pickle
import sys
from pathlib import Path
from typing import Any

from sitrep import model
from sitrep.load import PARSED_GLOBALS, SAVE_SHARE
from sitrep.page_keys import code_digest
from sitrep.pickle_file import write_pickle
from sitrep.render_pool import MODEL_REDUCERS
from sitrep.validate import CheckMemo

log = logging.getLogger(__name__)

_VERSION = 1


def memo_path(cache_path: Path) -> Path:
    """Return where the check memo lives, beside the parse cache of the same build."""
    return cache_path.with_name(f"{cache_path.stem}.checked.pickle")


def _stamp() -> tuple[int, bytes, str]:
    return _VERSION, code_digest(), sys.version


def open_memo(path: Path) -> tuple[CheckMemo, bool]:
    """Return the memo stored at `path` (an empty one when it is missing, unreadable or made by
    other code) and whether one was read."""
    if not path.is_file():
        return CheckMemo(), False
    try:
        with path.open("rb") as fh:
            stamp, context, refs, events = _MemoUnpickler(fh).load()
    except Exception as exc:  # any damage: the build validates every file, as without it
        log.debug("check memo %s not used: %s", path, exc)
        return CheckMemo(), False
    if stamp != _stamp() or not isinstance(events, dict):
        return CheckMemo(), False
    return CheckMemo(context, refs, events), True


def save_memo(memo: CheckMemo, path: Path, *, found: bool, changes: int | None = None) -> bool:
    """Write the memo atomically when none was `found` or enough of it changed (see the docstring):
    `changes` files since it was read (default: those of its last check). Return whether it was."""
    changed = memo.changes if changes is None else changes
    if memo.refs is None or (found and changed * SAVE_SHARE < max(len(memo.events), 1)):
        return False
    try:
        write_pickle(path, (_stamp(), memo.context, memo.refs, memo.events), MODEL_REDUCERS)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        log.info("check memo not saved: %s", exc)  # a cache: the next build validates every file instead
        return False
    return True


class _MemoUnpickler(pickle.Unpickler):
    """Unpickle the model and validation's own records only: a cache folder restored from elsewhere
    (a CI cache) could otherwise name any callable and run it on load."""

    _ALLOWED = PARSED_GLOBALS | {  # what parsed YAML holds, and the records made from it
        ("sitrep.render_pool", "_rebuild"), ("sitrep.render_pool", "_proxy"), ("sitrep.errors", "Problem"),
        ("sitrep.validate", "_Refs"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED or (module == "sitrep.model" and isinstance(
                getattr(model, name, None), type) and not name.startswith("_")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"the check memo may not hold {module}.{name}")
