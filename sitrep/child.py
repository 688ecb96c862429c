"""What a build's helper process does first: the search stage's forked child, the render worker."""

from __future__ import annotations

import ctypes
import gc
import os
import signal
from contextlib import suppress

from sitrep.write import close_inherited_locks

_PR_SET_PDEATHSIG = 1


def start_child(parent: int) -> None:
    """Tie a helper process to the build `parent`, and let go of the build's locks.

    The kernel kills the helper when the build dies (SIGKILL included). In a forked child, the
    inherited objects are frozen out of the garbage collector: a collection writes into every
    object it visits, which would copy the parent's whole heap into the child page by page."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)
    close_inherited_locks()
    gc.freeze()
