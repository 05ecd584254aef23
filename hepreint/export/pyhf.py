"""Our signal as pyhf reads signal hypotheses from HEPData: a JSON Patch and a PatchSet.

A published ATLAS likelihood comes as a background-only workspace plus a *patchset*, one RFC 6902
patch per signal hypothesis that adds the signal sample to the channels. ``signal_patch`` writes
hepreint's signal in exactly that form, so any pyhf user (``pyhf patchset apply``,
``Workspace.model(patches=[...])``, cabinetry, spey) can put our yields into the analysis'
likelihood without hepreint:

- ``signal_patch.json``: the bare list of operations (what ``Workspace.model(patches=...)`` takes);
- ``patchset.json``: a pyhf PatchSet (schema 1.0.0) with that one patch, labelled by the
  analysis parameters (``mX`` ...) or, without parameters, by the sample name, and the sha256
  digest of the background-only workspace it applies to (pyhf refuses any other workspace).

The signal sample itself comes from :mod:`hepreint.stats.signal` (``signal_yields`` and
``with_signal``, the same code ``hepreint limits`` fits): the patch is the difference between the
background workspace and the workspace the limits were computed on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyhf

from hepreint.analysis.spec import Analysis
from hepreint.errors import HepreintError, LikelihoodError
from hepreint.export._common import partial_note
from hepreint.results.locate import analysis_of
from hepreint.results.output import write_json
from hepreint.stats.model import signal_model

PATCH_FILE = "signal_patch.json"
PATCHSET_FILE = "patchset.json"
#: pyhf's patchset schema requires an INSPIRE reference; used only when the analysis has none
NO_INSPIRE = "ins0000000"
_TOKEN = re.compile(r"[^A-Za-z0-9_]+")


def json_patch(background: dict[str, Any], patched: dict[str, Any], sample: str) -> list[Any]:
    """RFC 6902 operations turning ``background`` into ``patched`` for the channels that got
    ``sample``: remove a same-named sample (a published signal), then append ours."""
    ops: list[dict[str, Any]] = []
    new = {c["name"]: c for c in patched["channels"]}
    for i, ch in enumerate(background["channels"]):
        target = new.get(ch["name"])
        ours = [s for s in (target or {}).get("samples", []) if s["name"] == sample]
        if not ours:
            continue
        old = [j for j, s in enumerate(ch["samples"]) if s["name"] == sample]
        ops += [{"op": "remove", "path": f"/channels/{i}/samples/{j}"} for j in reversed(old)]
        ops.append({"op": "add", "path": f"/channels/{i}/samples/-", "value": ours[0]})
    return ops


@dataclass
class SignalPatch:
    analysis: str
    label: str
    patch: list[Any]
    patchset: dict[str, Any]
    background: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return str(self.patchset["metadata"]["digests"]["sha256"])

    def write(self, directory: str | Path) -> list[Path]:
        out = Path(directory)
        return [
            write_json(out / name, doc, f"the pyhf {name}")
            for name, doc in ((PATCH_FILE, self.patch), (PATCHSET_FILE, self.patchset))
        ]


def signal_patch(results_doc: dict[str, Any], analysis: Analysis) -> SignalPatch:
    """The signal of ``results_doc`` as a pyhf JSON Patch and a one-patch PatchSet."""
    sm = signal_model(results_doc, analysis)
    # on a published patch: its operations first (HEPData users have the background-only file)
    ops = sm.base_ops + json_patch(sm.background, sm.workspace, sm.spec.signal_sample)
    base = sm.base if sm.base is not None else sm.background
    params = (results_doc.get("analysis") or {}).get("parameters") or {}
    labels, values = _labels(params, results_doc)
    meta = analysis.metadata
    inspire = meta.get("inspire")
    notes = list(sm.notes)
    where = _rel(sm.spec.workspace or sm.spec.table, sm.spec.directory)
    if sm.base is not None:
        where += (
            f" (the patch starts with the operations of patch {sm.spec.patch!r} of "
            f"{_rel(sm.spec.patchset, sm.spec.directory)}, then replaces its signal)"
        )
    desc = (
        f"hepreint signal for {meta['name']} (arXiv:{meta['arxiv']}), likelihood kind "
        f"{sm.likelihood.kind} [{sm.label}]; applies to the background-only workspace {where} "
        f"of the analysis; "
        f"sample {sm.spec.signal_sample!r} with normfactor {sm.poi!r} and MC-stat staterror"
    )
    partial = partial_note(results_doc)
    if partial:  # the patchset can say it; signal_patch.json (a bare list) cannot
        desc = f"{partial}. {desc}"
    if inspire is None:
        desc += f"; references.hepdata {NO_INSPIRE} is a placeholder (no INSPIRE id known)"
        notes.append(
            f"{meta['name']} has no INSPIRE id: patchset references.hepdata is the placeholder "
            f"{NO_INSPIRE} (pyhf's schema requires one)"
        )
    if sm.poi != _measurement_poi(sm.background, sm.measurement):
        notes.append(f"the POI is {sm.poi!r}, not the measurement's: pass poi_name={sm.poi!r}")
    norm = results_doc.get("normalisation") or {}
    patchset = {
        "metadata": {
            "name": f"hepreint_{_token(meta['name'])}",
            "description": desc,
            "digests": {"sha256": pyhf.utils.digest(base, algorithm="sha256")},
            "labels": labels,
            "references": {"hepdata": f"ins{int(inspire):07d}" if inspire else NO_INSPIRE},
            "hepreint": {
                "analysis": meta["name"],
                "arxiv": meta["arxiv"],
                "likelihood_kind": sm.likelihood.kind,
                "label": sm.label,
                "measurement": sm.measurement,
                "poi": sm.poi,
                "signal_xsec_fb": sm.signal.xsec_fb,
                "luminosity_fb": norm.get("luminosity_fb"),
                "regions": {r.region: f"{r.channel}[{r.bin}]" for r in sm.signal.regions},
            },
        },
        "version": "1.0.0",
        "patches": [
            {
                "metadata": {"name": _patch_name(meta["name"], labels, values), "values": values},
                "patch": ops,
            }
        ],
    }
    try:
        pyhf.PatchSet(json.loads(json.dumps(patchset)))
    except (pyhf.exceptions.InvalidSpecification, pyhf.exceptions.InvalidPatchSet) as exc:
        raise LikelihoodError(f"patchset for {meta['name']} is not valid for pyhf: {exc}") from None
    return SignalPatch(meta["name"], sm.label, ops, patchset, base, notes)


def has_likelihood(analysis: Analysis) -> bool:
    return bool(analysis.raw.get("likelihood"))


def write_pyhf(
    doc: dict[str, Any],
    outdir: str | Path,
    notes: list[str] | None = None,
    *,
    optional: bool = False,
) -> list[Path]:
    """``hepreint export --format pyhf``: ``signal_patch.json`` and ``patchset.json``.

    ``optional`` (``--format all``): an analysis without a likelihood, or unnormalised results,
    is skipped with a note instead of an error.
    """
    notes = notes if notes is not None else []
    try:
        analysis = analysis_of(doc)
        why = None
        if not has_likelihood(analysis):
            why = f"analysis {analysis.name} has no likelihood (no 'likelihood:' in analysis.yaml)"
        elif not (doc.get("normalisation") or {}).get("normalised"):
            why = "results are NOT NORMALISED (no cross-section): no events to put in a workspace"
        if why is not None:
            raise LikelihoodError(f"pyhf export: {why}")
        sp = signal_patch(doc, analysis)
    except HepreintError as exc:
        if not optional:
            raise
        notes.append(f"pyhf patch not written: {str(exc).removeprefix('pyhf export: ')}")
        return []
    notes += [f"pyhf: {n}" for n in sp.notes]
    return sp.write(outdir)


def _labels(params: dict[str, Any], doc: dict[str, Any]) -> tuple[list[str], list[Any]]:
    if params:
        return [_token(k) for k in params], [float(v) for v in params.values()]
    inputs = (doc.get("provenance") or {}).get("inputs") or []
    sample = Path(str(inputs[0].get("path", "signal"))).name if inputs else "signal"
    for ext in (".gz", ".bz2", ".zst", ".hepmc3", ".hepmc2", ".hepmc"):
        sample = sample.removesuffix(ext)
    return ["sample"], [sample]


def _patch_name(analysis: str, labels: list[str], values: list[Any]) -> str:
    if labels == ["sample"]:
        return _token(f"{analysis}_{values[0]}")
    return _token("_".join([analysis, *(f"{k}{v:g}" for k, v in zip(labels, values, strict=True))]))


def _rel(path: Path | None, directory: Path) -> str:
    if path is None:
        return "?"
    try:
        return str(path.resolve().relative_to(directory.resolve()))
    except ValueError:
        return str(path)


def _token(text: str) -> str:
    return _TOKEN.sub("_", text.replace(".", "p")).strip("_") or "signal"


def _measurement_poi(ws: dict[str, Any], measurement: str) -> str:
    return str(next(m for m in ws["measurements"] if m["name"] == measurement)["config"]["poi"])
