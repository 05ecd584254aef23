"""Ctrl-C or SIGTERM during a run: the events finished so far are written as valid results,
marked partial, and the command exits 128 + the signal (130 / 143); no worker outlives it."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from hepreint.analysis.schemas import load_schema

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _inputs(example: Path, tmp: Path, n: int = 12) -> list[str]:
    out = []
    for i in range(n):
        p = tmp / f"copy{i}.hepmc3.gz"
        shutil.copy(example, p)
        out.append(str(p))
    return out


def _children(pid: int) -> list[int]:
    p = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(x) for x in p.stdout.split()]


@pytest.mark.parametrize(
    ("sig", "code", "extra"),
    [
        (signal.SIGINT, 130, []),
        (signal.SIGTERM, 143, []),
        (signal.SIGINT, 130, ["--executor", "processes", "--workers", "2"]),
        (signal.SIGTERM, 143, ["--executor", "dask", "--workers", "2"]),
    ],
)
def test_signal_keeps_finished_events(
    example_sample: Path, tmp_path: Path, sig: int, code: int, extra: list[str]
) -> None:
    dask = "dask" in extra  # a Dask cluster takes seconds to start: more input, a later signal
    files = _inputs(example_sample, tmp_path, 36 if dask else 12)
    # wait until events are being processed (the first batches take a few seconds, more on a
    # loaded machine), then signal: a signal before the first batch finished leaves nothing to keep
    # ("after 0 events", no results.json), which tests nothing, so then the same run is redone
    # with twice the wait (each attempt starts a fresh process and output directory)
    wait = 20.0 if dask else 8.0
    kids: list[int] = []
    for attempt in range(4):
        out = tmp_path / f"out{attempt}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "hepreint", "run", str(ROOT / "analyses" / "ttHbb"), *files,
             "--batch-size", "10", "-q", "-o", str(out), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.time() + 120
        time.sleep(wait)
        kids += _children(proc.pid)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=max(5, deadline - time.time()))
        assert proc.returncode == code, err
        assert f"interrupted by {signal.Signals(sig).name}" in err
        assert "Traceback" not in err and "WARNING" not in err
        if "after 0 events" not in err:
            break
        assert not (out / "results.json").exists()  # nothing finished: nothing written
        wait *= 2
    doc = json.loads((out / "results.json").read_text())
    jsonschema.validate(doc, load_schema("results"))
    assert doc["status"] == "partial"
    n = doc["normalisation"]["n_events"]
    assert 0 < n < 130 * len(files)
    assert doc["regions"]["single_lepton"]["cutflow"][0]["raw"] == n
    time.sleep(1)
    alive = [k for k in kids if Path(f"/proc/{k}").exists()
             and "zombie" not in Path(f"/proc/{k}/status").read_text().lower()]  # fmt: skip
    assert not alive, f"worker processes {alive} outlived the run"
