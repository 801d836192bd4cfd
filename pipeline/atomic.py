"""The one way a file is replaced: write a temporary file beside the target, flush it to disk,
rename it over the target, and flush the folder (so the rename itself survives a power loss).
A reader sees the whole old file or the whole new one, never a part; a write that fails
leaves the target untouched and no temporary file behind."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_beside(target: Path) -> Path:
    """A fresh temporary name in the target's folder (same file system: the rename is atomic);
    hidden, and ending in `.tmp` so a cleanup finds what a killed writer left."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's content and metadata to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(source: Path, target: Path) -> None:
    """Rename a complete file over `target` and flush the target folder (and the source's,
    when the file moved between folders)."""
    fsync_path(source)
    os.replace(source, target)
    fsync_path(target.parent)
    if source.parent != target.parent:
        fsync_path(source.parent)


def replace_all_durably(
    moves: list[tuple[Path, Path]], rename: Callable[[Path, Path], None] = os.replace
) -> None:
    """`replace_durably` for many files at once: every file flushed, every file renamed (by
    `rename`), then each folder involved flushed once, not once per file (a landing moves
    hundreds of files into a few dozen partition folders)."""
    for source, _ in moves:
        fsync_path(source)
    folders: dict[Path, None] = {}
    for source, target in moves:
        rename(source, target)
        folders[target.parent] = None
        folders[source.parent] = None
    for folder in folders:
        fsync_path(folder)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yields a temporary path to write; when the block ends without error the file replaces
    `target` durably; the temporary file is removed in every case."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(target)
    try:
        yield tmp
        replace_durably(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
