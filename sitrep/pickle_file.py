"""Pickled cache files, written atomically: the parse cache, the check memo and the writer's manifest."""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_pickle(path: Path, obj: object, reducers: Mapping[type, Any] | None = None) -> None:
    """Pickle `obj` to `path` atomically (a killed build leaves no torn cache), with `reducers` as the
    pickler's dispatch table when given. Builds of one output folder are serialised by the build
    lock, so a temp file left beside `path` is from a build killed while saving: it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
            if reducers is not None:
                pickler.dispatch_table = reducers
            pickler.dump(obj)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
