"""Event generation: Pythia record -> our Record -> HepMC file, checked particle by particle.

Few events per process (Pythia's init is the cost), so the whole module runs in seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyhepmc
import pytest
from particle.pdgid import has_bottom, is_hadron

from hepreint.errors import HepreintError, SpecError

pytest.importorskip("pythia8mc")

from hepreint.generate import generate, list_processes  # noqa: E402
from hepreint.generate.convert import Record, prune_record, to_genevent  # noqa: E402
from hepreint.generate.run import PythiaRun  # noqa: E402

SEED = 12345
N_TTH = 3


def snapshot(event) -> list[tuple]:
    """Pythia's record as plain tuples, index 1..size-1 (row 0 is the system)."""
    out = []
    for i in range(1, event.size()):
        q = event[i]
        mothers = list(dict.fromkeys(m for m in q.motherList() if m > 0))
        out.append((q.id(), q.status(), q.px(), q.py(), q.pz(), q.e(), q.m(), mothers))
    return out


@pytest.fixture(scope="module")
def tth() -> list[tuple[list[tuple], Record]]:
    """Three full-history ttH events: Pythia's own record next to our converted one."""
    run = PythiaRun("ttH", SEED)
    out = []
    for converted in run.events(N_TTH):
        out.append((snapshot(run.pythia.event), converted.record))
    return out


@pytest.fixture(scope="module")
def tth_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "tth.hepmc3"
    summary = generate("ttH", N_TTH, SEED, path)
    assert summary.n_events == N_TTH and summary.sigma_pb > 0 and summary.output == path
    return path


def _attr(run_info: pyhepmc.GenRunInfo, name: str, kind: type):
    """Run-info attribute read back from a file (pyhepmc leaves it unparsed until asked)."""
    value = run_info.attributes[name]
    return value.astype(kind) if hasattr(value, "astype") else kind(value)


def read_all(path: Path) -> list[pyhepmc.GenEvent]:
    with pyhepmc.open(path) as f:
        return list(f)


@pytest.mark.slow
def test_record_matches_pythia(tth):
    for snap, rec in tth:
        assert len(rec) == len(snap)
        assert sorted(rec.index) == list(range(1, len(snap) + 1))
        for k in range(len(rec)):
            pid, status, px, py, pz, e, m, mothers = snap[rec.index[k] - 1]
            assert rec.pid[k] == pid and rec.pythia_status[k] == status
            assert tuple(rec.p[k]) == (px, py, pz, e, m)
            assert [int(rec.index[j]) for j in rec.parents[k]] == mothers
            assert all(j < k for j in rec.parents[k]), "rows must be topologically ordered"
        hep = rec.status
        assert set(hep[rec.pythia_status > 0]) == {1}
        assert set(hep[np.isin(rec.pythia_status, (-11, -12))]) == {4}
        assert ((hep == 1) | (hep == 2) | (hep == 4) | ((hep >= 11) & (hep <= 200))).all()


@pytest.mark.slow
def test_file_round_trip(tth, tth_file):
    events = read_all(tth_file)
    assert len(events) == N_TTH
    for (_snap, rec), evt in zip(tth, events, strict=True):
        parts = evt.particles
        assert len(parts) == len(rec)
        for k, p in enumerate(parts):
            assert p.id == k + 1
            assert p.pid == rec.pid[k] and p.status == rec.status[k]
            assert tuple(p.momentum) == tuple(rec.p[k, :4])  # 17 digits: exact
            assert p.generated_mass == rec.p[k, 4]
            pv = p.production_vertex
            mothers = [] if pv is None else [q.id - 1 for q in pv.particles_in]
            assert sorted(mothers) == sorted(rec.parents[k])
            if mothers:
                assert mothers[0] == rec.parents[k][0], "first mother must be Pythia's mother1"
        xs = evt.cross_section
        assert xs is not None and xs.xsec() > 0 and xs.xsec_err() >= 0
        assert evt.weights == [1.0]
        assert evt.momentum_unit == pyhepmc.Units.GEV and evt.length_unit == pyhepmc.Units.MM
    ri = events[0].run_info
    assert [t.name for t in ri.tools] == ["Pythia8", "hepreint"]
    assert list(ri.weight_names) == ["Weight"]
    assert _attr(ri, "hepreint_process", str) == "ttH"
    assert "HiggsSM:gg2Httbar = on" in _attr(ri, "hepreint_settings", str)
    assert _attr(ri, "hepreint_seed", int) == SEED
    assert [e.event_number for e in events] == list(range(N_TTH))


@pytest.mark.slow
def test_seed_reproducible(tmp_path, tth_file):
    a, b, c = tmp_path / "a.hepmc3.gz", tmp_path / "b.hepmc3.gz", tmp_path / "c.hepmc3"
    generate("ttH", 2, SEED, a)
    generate("ttH", 2, SEED, b)
    generate("ttH", 2, SEED + 1, c)
    assert a.read_bytes() == b.read_bytes()
    assert not list(tmp_path.glob("*.part"))
    ours = [str(e.particles[10].momentum) for e in read_all(a)]
    assert ours == [str(e.particles[10].momentum) for e in read_all(tth_file)[:2]]
    assert ours != [str(e.particles[10].momentum) for e in read_all(c)]


def _nearest_kept(rec: Record, kept: set[int], k: int) -> set[int]:
    """Independent (recursive, unmemoised) nearest kept ancestors in Pythia indices."""
    out: set[int] = set()
    for j in rec.parents[k]:
        out |= {int(rec.index[j])} if int(rec.index[j]) in kept else _nearest_kept(rec, kept, j)
    return out


def _first_chain_nonprompt(rec: Record, k: int) -> bool:
    """Does the first-mother chain of row k pass a hadron or a tau?"""
    while rec.parents[k]:
        k = rec.parents[k][0]
        pid = int(rec.pid[k])
        if abs(pid) == 15 or is_hadron(pid):
            return True
    return False


def _weak_b(rec: Record) -> set[int]:
    """Pythia indices of b-hadrons none of whose children is a b-hadron."""
    has_b_child: set[int] = set()
    for k in range(len(rec)):
        pid = int(rec.pid[k])
        if is_hadron(pid) and has_bottom(pid):
            has_b_child.update(rec.parents[k])
    return {
        int(rec.index[k])
        for k in range(len(rec))
        if is_hadron(int(rec.pid[k])) and has_bottom(int(rec.pid[k])) and k not in has_b_child
    }


@pytest.mark.slow
def test_prune(tth, tmp_path):
    for _snap, full in tth:
        pruned = prune_record(full)
        assert len(pruned) < len(full)
        kept = {int(i) for i in pruned.index}
        row_of = {int(i): k for k, i in enumerate(full.index)}
        final = {int(i) for i in full.index[full.status == 1]}
        assert final <= kept
        for k in range(len(pruned)):
            f = row_of[int(pruned.index[k])]
            assert tuple(pruned.p[k]) == tuple(full.p[f]) and pruned.pid[k] == full.pid[f]
            parents = [int(pruned.index[j]) for j in pruned.parents[k]]
            assert set(parents) == _nearest_kept(full, kept, f)
            if pruned.status[k] == 1:  # the immediate mothers of final particles are kept
                assert parents == [int(full.index[j]) for j in full.parents[f]]
        # the two relations downstream code relies on survive pruning
        for k in np.flatnonzero(pruned.status == 1):
            f = row_of[int(pruned.index[k])]
            assert _first_chain_nonprompt(pruned, k) == _first_chain_nonprompt(full, f)
        assert _weak_b(pruned) == _weak_b(full)
        evt = to_genevent(pruned, _info())
        assert "hepreint_vertex_merges" not in evt.attributes
        assert len(evt.particles) == len(pruned)


def _info():
    from hepreint.generate.convert import EventInfo

    return EventInfo(number=0)


@pytest.mark.slow
def test_generate_pruned_gz(tmp_path):
    out = tmp_path / "p.hepmc3.gz"
    s = generate("ttH", 2, SEED, out, prune=True, precision=6)
    events = read_all(out)
    assert len(events) == 2 and s.prune
    assert _attr(events[0].run_info, "hepreint_pruned", int) == 1
    for evt in events:
        finals = [p for p in evt.particles if p.status == 1]
        assert len(finals) > 50
        assert all(p.production_vertex is not None for p in finals)


def _children(rec: Record) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in range(len(rec))]
    for k, ps in enumerate(rec.parents):
        for m in ps:
            kids[m].append(k)
    return kids


def _last_copy(rec: Record, kids: list[list[int]], k: int) -> int:
    """Follow recoil copies (single child with the same pid) to the decaying copy."""
    while len(kids[k]) == 1 and rec.pid[kids[k][0]] == rec.pid[k]:
        k = kids[k][0]
    return k


def _decays(rec: Record, pid: int) -> list[tuple[float, list[int]]]:
    """(mass, sorted child pids) of each decaying last copy of ``pid``."""
    kids = _children(rec)
    out = []
    for k in np.flatnonzero(rec.pid == pid):
        if _last_copy(rec, kids, int(k)) == k:
            out.append((float(rec.p[k, 4]), sorted(int(rec.pid[c]) for c in kids[k])))
    return out


@pytest.mark.slow
def test_x_hh_4b():
    run = PythiaRun("X_HH_4b", SEED, {"mX": 500})
    for converted in run.events(2):
        rec = converted.record
        (x,) = _decays(rec, 35)
        assert x[0] == pytest.approx(500, abs=5) and x[1] == [25, 25]
        higgs = _decays(rec, 25)
        assert len(higgs) == 2 and all(h[1] == [-5, 5] for h in higgs)


@pytest.mark.slow
def test_x_sh_bbyy():
    run = PythiaRun("X_SH_bbyy", SEED, {"mX": 500, "mS": 100})
    for converted in run.events(2):
        rec = converted.record
        (x,) = _decays(rec, 35)
        assert x[0] == pytest.approx(500, abs=5) and x[1] == [25, 36]
        assert [h[1] for h in _decays(rec, 25)] == [[22, 22]]
        (s,) = _decays(rec, 36)
        assert s[0] == pytest.approx(100, abs=1) and s[1] == [-5, 5]


@pytest.mark.slow
def test_hepmc2_output(tmp_path):
    out = tmp_path / "v2.hepmc"
    generate("ZH_bb", 1, SEED, out, hepmc_version=2)
    assert "HepMC::IO_GenEvent-START_EVENT_LISTING" in out.read_text()
    (evt,) = read_all(out)
    assert any(p.pid == 25 for p in evt.particles)


def test_list_processes():
    procs = list_processes()
    for name in ("ttH", "ttbar", "WH_bb", "WH_cc", "ZH_bb", "ZH_cc", "X_HH_4b", "X_SH_bbyy",
                 "yy_jets", "y_jet", "ggH_yy", "ttH_yy", "ZH_yy"):  # fmt: skip
        assert name in procs


def test_diphoton_backgrounds_settings():
    """The H -> yy backgrounds of X -> S(bb)H(yy): the window and the forced decay reach Pythia."""
    from hepreint.generate.processes import process_settings

    lines = [line for line, _ in process_settings("yy_jets", SEED, {"mhat_min": 90})]
    assert "PhaseSpace:mHatMin = 90" in lines and "PhaseSpace:mHatMax = 165" in lines
    assert "PromptPhoton:gg2gammagamma = on" in lines
    lines = [line for line, _ in process_settings("ttH_yy", SEED)]
    assert "25:onIfMatch = 22 22" in lines and "HiggsSM:gg2Httbar = on" in lines
    assert all(why for _, why in process_settings("y_jet", SEED))


@pytest.mark.parametrize(
    ("process", "params", "match"),
    [
        ("tth", None, "did you mean 'ttH'"),
        ("nonsense", None, "known processes: ttH"),
        ("X_HH_4b", None, "needs parameter.*mX"),
        ("X_HH_4b", {"mX": 200}, "must lie in"),
        ("X_SH_bbyy", {"mX": 200, "mS": 100}, "mX > mS \\+ mH"),
        ("X_SH_bbyy", {"mX": 800, "mS": 5}, "threshold"),
        ("ttH", {"mX": 500}, "does not take"),
        ("yy_jets", {"mhat_min": 170}, "mhat_min < mhat_max"),
        ("y_jet", {"pthat_min": 1}, "must be >= 5"),
    ],
)
def test_bad_requests(tmp_path, process, params, match):
    with pytest.raises(SpecError, match=match) as info:
        generate(process, 1, SEED, tmp_path / "x.hepmc3", params=params)
    assert "\n" not in str(info.value)
    assert not list(tmp_path.iterdir())


def test_bad_seed(tmp_path):
    with pytest.raises(SpecError, match="0 < seed < 900000000"):
        generate("ttH", 1, 0, tmp_path / "x.hepmc3")


def test_missing_pythia(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pythia8mc", None)  # makes "import pythia8mc" fail
    with pytest.raises(HepreintError, match=r"pip install 'hepreint\[generate\]'"):
        generate("ttH", 1, SEED, tmp_path / "x.hepmc3")


def test_vh_backgrounds_settings():
    """The VH(bb/cc) backgrounds: listed, every line explained, pT(hat) defaults and overrides."""
    from hepreint.generate.processes import process_settings

    procs = list_processes()
    for name in ("W_jets", "Z_jets", "single_top", "VZ"):
        assert name in procs
        assert all(why for _, why in process_settings(name, SEED))
    lines = [line for line, _ in process_settings("W_jets", SEED)]
    assert "WeakBosonAndParton:qg2Wq = on" in lines and "24:onIfAny = 11 13" in lines
    assert "PhaseSpace:pTHatMin = 100" in lines
    lines = [line for line, _ in process_settings("Z_jets", SEED, {"pthat_min": 150})]
    assert "PhaseSpace:pTHatMin = 150" in lines and "WeakZ0:gmZmode = 2" in lines
    assert "23:onIfAny = 11 13 12 14 16" in lines
    lines = [line for line, _ in process_settings("single_top", SEED)]
    assert "Top:qq2tq(t:W) = on" in lines and "Top:ffbar2tqbar(s:W) = on" in lines
    lines = [line for line, _ in process_settings("VZ", SEED)]
    assert "WeakDoubleBoson:ffbar2ZW = on" in lines and "23:onIfAny = 4 5 11 13 12 14 16" in lines
    with pytest.raises(SpecError, match="pthat_min = -1 GeV must lie in"):
        process_settings("W_jets", SEED, {"pthat_min": -1})
    with pytest.raises(SpecError, match="does not take"):
        process_settings("single_top", SEED, {"pthat_min": 10})


@pytest.mark.slow
@pytest.mark.parametrize("process", ["W_jets", "Z_jets", "single_top", "VZ"])
def test_vh_backgrounds_generate(tmp_path, process):
    """Each background runs in Pythia: 2 pruned events with the boson (or top) it promises."""
    out = tmp_path / f"{process}.hepmc3"
    summary = generate(process, 2, SEED, out, prune=True)
    assert summary.n_events == 2 and summary.sigma_pb > 0
    want = {"W_jets": {24}, "Z_jets": {23}, "single_top": {6}, "VZ": {23}}[process]
    for evt in read_all(out):
        assert want & {abs(p.pid) for p in evt.particles}
