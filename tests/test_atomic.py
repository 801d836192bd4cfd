"""The one atomic-write helper every writer uses (pipeline/atomic.py)."""

from __future__ import annotations

import pytest

from pipeline.atomic import atomic_path, write_text_atomic


def test_a_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "state" / "x.json"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.json"]


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "x.json"
    write_text_atomic(target, "kept")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]
