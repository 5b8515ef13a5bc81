"""All or nothing on disk: an export is written into a temporary folder (or file) beside its
destination and moved into place only when every file is complete (docs/exchange.md).

A failure half-way removes the temporary copy and any folder made for it, so a failed export
leaves nothing behind and never a mixture of new and old files. The temporary copy lives in
the destination's folder, on the same file system, so the final move is a rename.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _missing_parents(path: Path) -> list[Path]:
    """Ancestors of ``path`` that do not exist yet, nearest first."""
    return [parent for parent in path.parents if not parent.exists()]


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (someone else wrote there) or already gone: leave it


@contextmanager
def staged_folder(out: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success its files replace those of ``out``.

    ``out`` is created by a single rename when it does not exist; an existing folder keeps
    its other files and each exported file is replaced by a rename.
    """
    out = Path(out)
    made = _missing_parents(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        yield staging
        if out.exists():
            for path in sorted(staging.iterdir()):
                os.replace(path, out / path.name)
        else:
            os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(made)
        raise
    shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def staged_file(out: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success it replaces ``out`` by a rename."""
    out = Path(out)
    made = _missing_parents(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(handle)
    staging = Path(name)
    try:
        yield staging
        os.replace(staging, out)
    except BaseException:
        staging.unlink(missing_ok=True)
        _remove_empty(made)
        raise


def final_paths(paths: list[Path], staging: Path, out: str | Path) -> list[Path]:
    """Where the files written as ``paths`` inside ``staging`` are once moved to ``out``."""
    return [Path(out) / Path(p).relative_to(staging) for p in paths]
