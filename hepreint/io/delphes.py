"""Delphes 3 ROOT output -> :class:`EventBatch` with reconstructed collections, through uproot.

Why uproot and not ROOT: users bring Delphes files, not a ROOT install; uproot reads the split
branches column by column, so a batch is one read per branch (no per-event Python loop).

The layout is Delphes' own, taken from its source (delphes/delphes on GitHub):

* ``modules/TreeWriter.cc`` fills one TClonesArray branch per collection, through
  ``ExRootTreeBranch``, which calls ``tree->Branch(name, &array, 64000)`` and
  ``tree->Branch(name + "_size", &size, name + "_size/I")``: the split members are leaves named
  ``Jet.PT`` (uproot key ``Jet/Jet.PT``) and the count per event is ``Jet_size`` (int32).
  coffea's ``DelphesSchema`` relies on the same ``{name}_size`` counters.
* ``classes/DelphesClasses.h`` gives the members and their types (:data:`SCHEMA`): momenta
  ``Float_t`` in GeV; ``Jet.Flavor``/``BTag``/``TauTag`` ``UInt_t``; charges ``Int_t``;
  ``Event.Number`` ``Long64_t``; ``Event.Weight`` ``Float_t`` (``HepMCEvent``/``LHEFEvent``);
  ``Weight.Weight`` ``Float_t``; ``Particle.PID/Status/M1`` ``Int_t`` (M1: index of the first
  mother in the Particle array, -1 for none, as :data:`PARTICLE_FIELDS`'s ``parent``).
* ``modules/BTagging.cc``: ``jet->BTag |= (passes) << BitNumber``: each working point of the
  card is one bit of ``Jet.BTag`` (:mod:`hepreint.objects.reco` maps bits to working points).
* ``TreeWriter::ProcessMissingET``: ``MET = momentum.Pt()``, ``Phi = (-momentum).Phi()``: the
  direction of the missing momentum itself, so px = MET cos(Phi).

Entries are the events: a batch's ``offsets`` are entry numbers (random draws are keyed on
them, :mod:`hepreint.events.random`), so any batch size or entry-range share gives the same
numbers as a serial read.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import awkward as ak
import numpy as np
import uproot

from hepreint.errors import InputError
from hepreint.events.batch import PARTICLE_FIELDS, EventBatch, make_particles

#: the tree TreeWriter fills (ExRootTreeWriter's default tree name in the Delphes executables)
TREE = "Delphes"

#: collection -> member -> numpy dtype of the leaf, as DelphesClasses.h declares them; every
#: member listed is required once its collection is in the file (TreeWriter writes whole classes)
SCHEMA: dict[str, dict[str, str]] = {
    "Event": {"Number": "int64"},
    "Weight": {"Weight": "float32"},
    "Particle": {
        "PID": "int32", "Status": "int32", "M1": "int32", "Px": "float32", "Py": "float32",
        "Pz": "float32", "E": "float32", "Mass": "float32",
    },
    "Electron": {"PT": "float32", "Eta": "float32", "Phi": "float32", "Charge": "int32"},
    "Muon": {"PT": "float32", "Eta": "float32", "Phi": "float32", "Charge": "int32"},
    "Photon": {
        "PT": "float32", "Eta": "float32", "Phi": "float32", "E": "float32",
        "IsolationVar": "float32",
    },
    "Jet": {
        "PT": "float32", "Eta": "float32", "Phi": "float32", "Mass": "float32",
        "Flavor": "uint32", "BTag": "uint32", "TauTag": "uint32", "Charge": "int32",
    },
    "FatJet": {
        "PT": "float32", "Eta": "float32", "Phi": "float32", "Mass": "float32",
        "Flavor": "uint32", "BTag": "uint32", "TauTag": "uint32", "Charge": "int32",
    },
    "MissingET": {"MET": "float32", "Phi": "float32"},
}  # fmt: skip
#: members read when present: the nominal weight (HepMCEvent and LHEFEvent have it, the base
#: Event class not) and jet substructure counts (newer Delphes versions)
OPTIONAL: dict[str, tuple[str, ...]] = {
    "Event": ("Weight",),
    "Jet": ("NCharged", "NNeutrals"),
    "FatJet": ("NCharged", "NNeutrals", "NSubJetsTrimmed"),
}
#: masses (GeV, PDG) given to Delphes leptons, which store no mass
MASS = {"Electron": 0.000511, "Muon": 0.10566}
PDG = {"Electron": 11, "Muon": 13}
#: collections whose presence makes a tree a Delphes tree (with ``Event``)
OBJECTS = ("Electron", "Muon", "Photon", "Jet", "FatJet", "MissingET")


@dataclass(frozen=True)
class Layout:
    """What a Delphes file holds: its entries and the uproot key of every leaf read."""

    entries: int
    keys: dict[str, str]  # "Jet.PT" -> uproot key ("Jet/Jet.PT" as Delphes writes it)
    collections: tuple[str, ...]
    n_weights: int  # entries of the Weight branch per event (0: no Weight branch)


def _damaged(path: str | Path, exc: BaseException) -> InputError:
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return InputError(
        f"{path}: damaged or truncated ROOT file ({what}); re-copy it or rerun Delphes"
    )


def _open_tree(path: str | Path) -> Any:
    try:
        f = uproot.open(path)
        classes = f.classnames()
    except Exception as exc:  # noqa: BLE001 - uproot raises many kinds on a damaged file
        raise _damaged(path, exc) from exc
    trees = {k.split(";")[0]: v for k, v in classes.items()}
    if not trees:
        raise InputError(
            f"{path}: a ROOT file that holds no objects (empty, or its directory is damaged); "
            "pass the ROOT file written by Delphes"
        )
    if trees.get(TREE) != "TTree":
        held = ", ".join(f"{k} ({v})" for k, v in sorted(trees.items())[:8]) or "nothing"
        raise InputError(
            f"{path}: a ROOT file without a '{TREE}' tree, so not Delphes output; it holds "
            f"{held}; pass the ROOT file written by DelphesHepMC3/DelphesPythia8"
        )
    try:
        return f[TREE]
    except Exception as exc:  # noqa: BLE001
        raise _damaged(path, exc) from exc


def inspect_file(path: str | Path) -> Layout:
    """Check that ``path`` is a readable Delphes tree and find its leaves; InputError if not."""
    tree = _open_tree(path)
    try:
        keys = {k.rsplit("/", 1)[-1]: k for k in tree.keys(recursive=True)}
        entries = int(tree.num_entries)
    except Exception as exc:  # noqa: BLE001
        raise _damaged(path, exc) from exc
    present = tuple(c for c in SCHEMA if f"{c}_size" in keys or any(
        k.startswith(f"{c}.") for k in keys))  # fmt: skip
    if "Event" not in present or not set(OBJECTS) & set(present):
        found = ", ".join(sorted(k for k in keys if "." not in k)[:10]) or "no branches"
        raise InputError(
            f"{path}: its '{TREE}' tree has no Event branch or no object branches ("
            f"{', '.join(OBJECTS)}), so it is not Delphes output; it has {found}"
        )
    for c in present:
        for member in (*SCHEMA[c], "_size"):
            name = f"{c}{member}" if member == "_size" else f"{c}.{member}"
            if name not in keys:
                raise InputError(
                    f"{path}: Delphes tree has a {c} branch without its {name} branch; the "
                    "file was not written by Delphes 3's TreeWriter or was edited; rerun Delphes"
                )
    n_weights = 0
    if "Weight" in present:
        sizes = _read(path, tree, [keys["Weight_size"]], 0, entries)[keys["Weight_size"]]
        n_weights = int(sizes[0]) if len(sizes) else 0
        bad = np.flatnonzero(np.asarray(sizes) != n_weights)
        if len(bad):
            raise InputError(
                f"{path}: entry {int(bad[0])} has {int(sizes[bad[0]])} Weight entries but "
                f"entry 0 has {n_weights}; the file mixes weight sets; split it"
            )
    return Layout(entries, keys, present, n_weights)


def _read(path: str | Path, tree: Any, keys: list[str], start: int, stop: int) -> dict[str, Any]:
    """Branch by branch, addressed by path (``Jet/Jet.PT`` in a real Delphes file: as an
    ``arrays`` expression it would read as a division)."""
    try:
        return {k: tree[k].array(entry_start=start, entry_stop=stop, library="ak") for k in keys}
    except Exception as exc:  # noqa: BLE001 - a basket cut off or corrupt
        raise _damaged(path, exc) from exc


def _one_per_event(values: ak.Array, fill: float, what: str, path: str | Path) -> np.ndarray:
    """A member of a one-entry-per-event collection (Event, MissingET) as a flat column."""
    n = np.asarray(ak.num(values, axis=1))
    if len(n) and n.max(initial=0) > 1:
        raise InputError(f"{path}: {what} has {int(n.max())} entries in one event, not one")
    return np.asarray(ak.fill_none(ak.firsts(values), fill), dtype=np.float64)


def _p4(pt: ak.Array, eta: ak.Array, phi: ak.Array, *, mass: Any = None, energy: Any = None
        ) -> dict[str, ak.Array]:  # fmt: skip
    pt, eta, phi = (ak.values_astype(x, np.float64) for x in (pt, eta, phi))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    if energy is None:
        energy = np.sqrt(px**2 + py**2 + pz**2 + ak.values_astype(mass, np.float64) ** 2)
    return {"px": px, "py": py, "pz": pz, "E": ak.values_astype(energy, np.float64)}


def _collections(c: dict[str, Any], present: tuple[str, ...], path: str | Path
                 ) -> dict[str, ak.Array]:  # fmt: skip
    """The reconstructed collections of a batch, unsorted and uncut (kinds' raw material)."""
    out: dict[str, ak.Array] = {}
    for lep, kind in (("Electron", "electron"), ("Muon", "muon")):
        if lep in present:
            q = c[f"{lep}.Charge"]
            fields = _p4(c[f"{lep}.PT"], c[f"{lep}.Eta"], c[f"{lep}.Phi"], mass=MASS[lep] + 0 * q)
            fields["charge"] = ak.values_astype(q, np.float64)
            fields["pid"] = ak.values_astype(-PDG[lep] * q, np.int64)
            out[kind] = ak.zip(fields, with_name="Momentum4D")
    if "Photon" in present:
        fields = _p4(c["Photon.PT"], c["Photon.Eta"], c["Photon.Phi"], energy=c["Photon.E"])
        fields["iso"] = ak.values_astype(c["Photon.IsolationVar"], np.float64)
        out["photon"] = ak.zip(fields, with_name="Momentum4D")
    for jet, kind in (("Jet", "jet"), ("FatJet", "large_r_jet")):
        if jet in present:
            fields = _p4(c[f"{jet}.PT"], c[f"{jet}.Eta"], c[f"{jet}.Phi"], mass=c[f"{jet}.Mass"])
            for member, name in (("Flavor", "flavor"), ("BTag", "btag_bits"),
                                 ("TauTag", "tau_bits"), ("Charge", "charge")):  # fmt: skip
                fields[name] = ak.values_astype(c[f"{jet}.{member}"], np.int64)
            n = f"{jet}.NCharged", f"{jet}.NNeutrals"
            fields["n_constituents"] = (
                ak.values_astype(c[n[0]] + c[n[1]], np.int64) if n[0] in c and n[1] in c
                else -1 + 0 * fields["flavor"]
            )  # fmt: skip
            if jet == "FatJet":
                trimmed = c.get("FatJet.NSubJetsTrimmed")
                fields["n_subjets"] = (
                    -1 + 0 * fields["flavor"] if trimmed is None
                    else ak.values_astype(trimmed, np.int64)
                )  # fmt: skip
            out[kind] = ak.zip(fields, with_name="Momentum4D")
    if "MissingET" in present:
        met = _one_per_event(c["MissingET.MET"], 0.0, "MissingET", path)
        phi = _one_per_event(c["MissingET.Phi"], 0.0, "MissingET", path)
        out["met"] = ak.zip({"px": met * np.cos(phi), "py": met * np.sin(phi)},
                            with_name="Momentum2D")  # fmt: skip
    return out


def _particles(c: dict[str, Any], n: int, present: tuple[str, ...]) -> ak.Array:
    if "Particle" not in present:
        return make_particles(np.zeros(n, np.int64), {
            f: np.zeros(0, np.int32 if f in ("pid", "status", "parent") else np.float64)
            for f in PARTICLE_FIELDS})  # fmt: skip
    members = {"px": "Px", "py": "Py", "pz": "Pz", "E": "E", "m": "Mass", "pid": "PID",
               "status": "Status", "parent": "M1"}  # fmt: skip
    counts = np.asarray(ak.num(c["Particle.PID"], axis=1), dtype=np.int64)
    columns = {}
    for f, m in members.items():
        dtype = np.int32 if f in ("pid", "status", "parent") else np.float64
        columns[f] = np.asarray(ak.flatten(c[f"Particle.{m}"], axis=None), dtype=dtype)
    return make_particles(counts, columns)


def read_batches(
    path: str | Path, layout: Layout, *, file_id: int, start: int, stop: int, batch_size: int,
) -> Iterator[EventBatch]:  # fmt: skip
    """Batches of entries ``[start, stop)`` (never crossing ``stop``; the last may be short)."""
    tree = _open_tree(path)
    keys = layout.keys
    wanted = [f"{c}.{m}" for c in layout.collections for m in SCHEMA[c]]
    wanted += [f"{c}.{m}" for c, ms in OPTIONAL.items() if c in layout.collections
               for m in ms if f"{c}.{m}" in keys]  # fmt: skip
    names: tuple[str, ...] = ("Event.Weight",) if "Event.Weight" in wanted else ("unit",)
    names += tuple(f"Weight.Weight[{i}]" for i in range(layout.n_weights))
    for lo in range(start, stop, batch_size):
        hi = min(stop, lo + batch_size)
        raw = _read(path, tree, [keys[w] for w in wanted], lo, hi)
        c = {w: raw[keys[w]] for w in wanted}
        n = hi - lo
        numbers = _one_per_event(c["Event.Number"], -1, "Event", path).astype(np.int64)
        columns = [_one_per_event(c["Event.Weight"], 1.0, "Event", path)] if (
            "Event.Weight" in c) else [np.ones(n)]  # fmt: skip
        if layout.n_weights:
            extra = np.asarray(ak.to_numpy(c["Weight.Weight"]), dtype=np.float64)
            columns += [extra[:, i] for i in range(layout.n_weights)]
        weights = np.stack(columns, axis=1)
        if not np.isfinite(weights).all():
            i = int(np.argmax(~np.isfinite(weights).all(axis=1)))
            raise InputError(f"{path}: entry {lo + i} has a non-finite weight; fix the file")
        yield EventBatch(
            particles=_particles(c, n, layout.collections), weights=weights,
            weight_names=names, event_numbers=numbers, source=str(path), first_event=lo,
            file_id=file_id, offsets=np.arange(lo, hi, dtype=np.int64),
            meta={"format": "delphes", "reconstructed": "delphes",
                  "unweighted": names[0] == "unit"},
            reco=_collections(c, layout.collections, path),
        )  # fmt: skip


class Counts(Protocol):
    """The stream's running counts (``hepreint.io.stream.RunCount``)."""

    batches: int
    events_read: int


class Report(Protocol):
    """The parts of :class:`hepreint.io.assemble.ReadReport` filled here (a protocol: the
    assembler imports the format sniffer, which imports this module)."""

    reader: str
    n_skipped: int
    n_events_read: int
    complete: bool
    weight_names: tuple[str, ...]


def read_entries(
    path: str, layout: Layout, report: Report, run: Counts, *, file_id: int, first: int,
    stop: int | None, batch_size: int, limited: bool, count_skipped: bool = True,
) -> Iterator[EventBatch]:  # fmt: skip
    """The read loop of a Delphes file for the serial stream and the shares: entries
    ``[first, stop)`` (``stop`` None: to the end), with the report and counts kept as the
    HepMC loop keeps them (``--skip`` counted once per file, ``limited`` by ``--max-events``)."""
    end = layout.entries if stop is None else min(stop, layout.entries)
    first = min(first, layout.entries)
    report.n_skipped += first * count_skipped
    for batch in read_batches(path, layout, file_id=file_id, start=first, stop=end,
                              batch_size=batch_size):  # fmt: skip
        report.weight_names = batch.weight_names
        batch = replace(batch, index=run.batches)
        run.batches += 1
        run.events_read += len(batch)
        report.n_events_read += len(batch)
        yield batch
    report.complete = not limited
    if layout.entries == 0:
        raise InputError(
            f"{path}: the Delphes tree has no entries; the Delphes job probably failed",
            events_read=run.events_read,
        )


def read_serial(
    info: Any, report: Report, run: Counts, skip: int, budget: int | None, batch_size: int
) -> Generator[EventBatch, None, int]:
    """A Delphes file (its :class:`~hepreint.io.detect.FileInfo`) in the serial stream, after
    ``skip`` entries, at most ``budget``; returns the entries passed over by ``--skip``."""
    if budget == 0:  # as the HepMC loop: the run ends before anything is passed over
        return 0
    layout = inspect_file(info.path)
    stop = None if budget is None else skip + budget
    yield from read_entries(
        info.path, layout, report, run, file_id=info.identity, first=skip, stop=stop,
        batch_size=batch_size, limited=stop is not None and stop <= layout.entries,
    )  # fmt: skip
    return min(skip, layout.entries)


def entry_ranges(lo: int, hi: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous entry ranges covering ``[lo, hi)``, none empty."""
    parts = max(1, min(parts, hi - lo))
    cuts = [lo + (hi - lo) * k // parts for k in range(parts + 1)]
    return list(zip(cuts[:-1], cuts[1:], strict=True))
