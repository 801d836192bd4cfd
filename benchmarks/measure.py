"""Wall time and peak memory of a step: the step runs as its own process; a sampler sums the
resident memory (RSS) of that process and every descendant (dbt runs as a child of Dagster)
every 50 ms from /proc and keeps the peak. Linux only, no dependency."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.05


@dataclass
class Measured:
    name: str
    seconds: float
    peak_rss_mb: float
    result: dict = field(default_factory=dict)
    returncode: int = 0

    def as_json(self) -> dict:
        return {
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            **({"result": self.result} if self.result else {}),
        }


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces: the parent pid is the 2nd field after its ')'.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss_bytes(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants."""
    tree, total, stack = _children(), 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            pass
        stack.extend(tree.get(current, ()))
    return total


class PeakSampler:
    def __init__(self, pid: int, every: float = SAMPLE_SECONDS):
        self.pid = pid
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_step(
    name: str,
    command: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    check: bool = True,
    sample_seconds: float = SAMPLE_SECONDS,
) -> Measured:
    """Run `command`, return its wall time, peak tree RSS (sampled every `sample_seconds`) and
    the JSON of its last stdout line."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "ab") as err:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err)
        with PeakSampler(process.pid, sample_seconds) as sampler:
            out, _ = process.communicate()
    seconds = time.perf_counter() - started
    lines = [line for line in out.decode("utf-8", "replace").splitlines() if line.strip()]
    result: dict = {}
    if lines:
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            result = {}
    measured = Measured(name, seconds, sampler.peak / 2**20, result, process.returncode)
    if check and process.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"step {name} failed (exit {process.returncode}); log {log}:\n{tail}")
    return measured
