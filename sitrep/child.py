"""What a build's helper process does first: the search stage's forked child, the render worker."""

from __future__ import annotations

import ctypes
import fcntl
import gc
import os
import signal
import sys
from contextlib import suppress
from pathlib import Path

from sitrep.write import close_inherited_locks

_PR_SET_PDEATHSIG = 1
_F_SETPIPE_SZ = 1031  # fcntl's F_SETPIPE_SZ (Linux)


def start_child(parent: int) -> None:
    """Tie a helper process to the build `parent`, and let go of the build's locks.

    The kernel kills the helper when the build dies (SIGKILL included). In a forked child, the
    inherited objects are frozen out of the garbage collector: a collection writes into every
    object it visits, which would copy the parent's whole heap into the child page by page. The
    child collects its own garbage, though the build forked it with collection off (heap.paused):
    what runs in it (WeasyPrint, Pagefind's client) is not the build's code."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)
    close_inherited_locks()
    gc.freeze()
    gc.enable()


def interpreter(module: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """Return the command and environment that run `module`'s main() in a new interpreter, with
    `args` after it in sys.argv, finding this package however the build was started.

    Not multiprocessing's spawn: that would also import the build's main script in it, running any
    script that calls build() without a __main__ guard a second time."""
    root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    return ([sys.executable, "-c", f"from {module} import main; main()", *args],
            {**os.environ, "PYTHONPATH": path})


def widen_pipe(fd: int, size: int = 1 << 20) -> None:
    """Give the pipe at `fd` room for `size` bytes, where the system allows it, so a writer ahead
    of its reader does not wait."""
    with suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, size)
