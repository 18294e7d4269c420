"""Where the shared data for tests and benchmarks lives: the one place that looks for it.

The data sets (real feeds, saved pages, labelled story streams, ...) are not in the repository;
they sit in a ``shared/data`` folder beside it (``../shared/data`` from the repository root), or
wherever ``NEWSDESK_SHARED_DATA`` points. A plain clone has none: tests that need it skip, saying
which path is missing, and benchmarks stop with the same message.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "NEWSDESK_SHARED_DATA"


class SharedDataMissing(FileNotFoundError):
    """A benchmark or test asked for shared data that is not on this machine."""


def _repository_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding Newsdesk's pyproject.toml."""
    for folder in (start, *start.parents):
        project = folder / "pyproject.toml"
        try:
            if project.is_file() and 'name = "newsdesk"' in project.read_text(encoding="utf-8"):
                return folder
        except OSError:
            continue
    return None


def candidates() -> list[Path]:
    """Where the folder is looked for, in order: $NEWSDESK_SHARED_DATA alone when it is set, else
    ``../shared/data`` beside the repository found above the current directory, then beside the one
    holding this module (an editable install)."""
    override = os.environ.get(ENV)
    if override:
        return [Path(override).expanduser()]
    found: list[Path] = []
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        root = _repository_root(start.resolve())
        if root is not None:
            folder = root.parent / "shared" / "data"
            if folder not in found:
                found.append(folder)
    return found


def shared_data_dir() -> Path | None:
    """The shared data folder, or None when there is none here."""
    return next((folder for folder in candidates() if folder.is_dir()), None)


def shared_path(*parts: str) -> Path | None:
    """``<shared data>/<parts...>`` when that file or folder exists, else None."""
    folder = shared_data_dir()
    if folder is None:
        return None
    path = folder.joinpath(*parts)
    return path if path.exists() else None


def missing_reason(*parts: str) -> str:
    """Why ``shared_path(*parts)`` is None, naming the path(s) that were tried."""
    folder = shared_data_dir()
    if folder is not None:
        return f"shared data {folder.joinpath(*parts)} is absent"
    tried = [str(path.joinpath(*parts)) for path in candidates()]
    where = " or ".join(tried) if tried else "no repository found above the current directory"
    return f"shared data absent (looked for {where}; set {ENV} to its folder)"


def require(*parts: str) -> Path:
    """``<shared data>/<parts...>``, or SharedDataMissing saying what is missing and where it was sought."""
    path = shared_path(*parts)
    if path is None:
        raise SharedDataMissing(missing_reason(*parts))
    return path
