"""Several analyses in one pass: each event read once, each collection definition built once,
and every analysis gets exactly the results of a run alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hepreint.objects.registry as registry
from hepreint import RunOptions, SpecError, run, run_many
from hepreint.engine.processor import Processor
from hepreint.io import read_events

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"
HH4B = ROOT / "tests" / "specs" / "HH4b"


def _exact(res: Any) -> dict[str, Any]:
    return res.to_dict()["exact"]


@pytest.mark.slow
def test_two_analyses_in_one_pass_equal_two_runs(example_sample: Path) -> None:
    opts = RunOptions(seed=3, batch_size=40)
    both = run_many([TTH, HH4B], [example_sample], opts, params={"mX": 500.0})
    alone_tth = run(TTH, [example_sample], opts)
    alone_hh = run(HH4B, [example_sample], opts, params={"mX": 500.0})
    assert _exact(both["ttHbb"]) == _exact(alone_tth)
    assert _exact(both["HH4b"]) == _exact(alone_hh)
    assert both["ttHbb"].provenance["analyses_in_pass"] == ["ttHbb", "HH4b"]


def test_same_definition_is_built_once(
    example_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a second analysis with the same objects and other cuts shares every collection
    d = tmp_path / "twin"
    shutil.copytree(TTH, d)
    y = d / "analysis.yaml"
    text = (
        y.read_text().replace("name: ttHbb", "name: twin").replace('"n_jets >= 5"', '"n_jets >= 6"')
    )
    y.write_text(text)
    calls: dict[str, int] = {}
    for name in ("jet", "electron"):
        k = registry._KINDS[name]

        def counted(params: Any, inputs: Any, k: Any = k) -> Any:
            calls[k.name] = calls.get(k.name, 0) + 1
            return k.build(params, inputs)

        monkeypatch.setitem(registry._KINDS, name, registry.ObjectKind(name, counted, k.uses))
    batches = list(read_events([example_sample], batch_size=65, reader="fast"))
    proc = Processor([hepreint_load(TTH), hepreint_load(d)], seed=1)
    out = [proc.process(b) for b in batches]
    # not 4 x batches for jets: the analysis' jets and the heavy-flavour classifier's own
    # (pT > 15 GeV) particle-level jets, each built once per batch for both analyses
    assert calls == {"jet": 2 * len(batches), "electron": len(batches)}
    a, b = out[0]["ttHbb"].regions["single_lepton"], out[0]["twin"].regions["single_lepton"]
    assert a.n[:2] == b.n[:2] and a.n[2] > b.n[2]  # ≥6 jets is tighter than ≥5


def hepreint_load(path: Path) -> Any:
    from hepreint import load_analysis

    return load_analysis(path)


def test_same_analysis_twice_is_refused(example_sample: Path) -> None:
    with pytest.raises(SpecError, match="more than once"):
        run_many([TTH, TTH], [example_sample])


def test_parameter_no_analysis_declares_is_refused(example_sample: Path) -> None:
    with pytest.raises(SpecError, match="mZ.*none of the analyses"):
        run_many([TTH, HH4B], [example_sample], params={"mZ": 1.0})


@pytest.mark.slow
def test_cli_writes_one_directory_per_analysis(example_sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = subprocess.run(
        [sys.executable, "-m", "hepreint", "run", str(TTH), str(HH4B), str(example_sample),
         "--param", "mX=500", "--max-events", "30", "-q", "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    docs = {n: json.loads((out / n / "results.json").read_text()) for n in ("ttHbb", "HH4b")}
    assert all(d["normalisation"]["n_events"] == 30 for d in docs.values())
    assert docs["HH4b"]["analysis"]["parameters"]["mX"] == 500.0
