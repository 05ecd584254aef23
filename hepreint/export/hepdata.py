"""HEPData YAML: our cut-flows as a submission (the reader is :mod:`hepreint.export.hepdata_table`).

The writer produces what ``hepdata_lib`` would (one ``submission.yaml`` with a YAML document per
table, one data file per table, ``independent_variables``/``dependent_variables`` with
``header``, ``qualifiers``, ``values`` and ``errors: [{symerror, label: stat}]``) without
depending on it, so a reinterpretation result can be uploaded as a HEPData resource or compared
with a published cut-flow by the same code. Numbers are written unrounded (hepdata_lib rounds to
five digits) so the files read back exactly, with ``hepreint.export.hepdata_table.read_submission``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from hepreint.export._common import comment_partial, partial_note, safe_name, sample_name
from hepreint.results.output import write_text


def _num(x: Any) -> Any:
    """HEPData's placeholder for a missing number is the string '-'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return float(x)


def _stat(err: Any) -> dict[str, Any]:
    """``errors`` for a value with a statistical error, nothing for one without: hepdata-validator
    refuses an all-zero error list (a step every event passes has efficiency 1 ± 0, an empty
    region 0 ± 0), and hepdata_lib leaves such errors out too."""
    if err is None or not math.isfinite(float(err)) or float(err) == 0.0:
        return {}
    return {"errors": [{"symerror": float(err), "label": "stat"}]}


def _qualifiers(doc: dict[str, Any], region: str) -> list[dict[str, Any]]:
    a, norm = doc["analysis"], doc["normalisation"]
    qs: list[dict[str, Any]] = []
    if a.get("sqrt_s_TeV") is not None:
        qs.append({"name": "SQRT(S)", "units": "GeV", "value": float(a["sqrt_s_TeV"]) * 1000})
    qs.append({"name": "LUMINOSITY", "units": "fb$^{-1}$", "value": float(norm["luminosity_fb"])})
    arxiv = f" (arXiv:{a['arxiv']})" if a.get("arxiv") else ""
    qs.append(
        {"name": "ANALYSIS", "value": f"{a.get('experiment', '')} {a['name']}{arxiv}".strip()}
    )
    qs.append({"name": "REGION", "value": region})
    qs.append({"name": "SAMPLE", "value": sample_name(doc)})
    return qs


def _unit(doc: dict[str, Any]) -> str:
    return "events" if doc["normalisation"]["normalised"] else "sum of weights (unnormalised)"


def cutflow_table(doc: dict[str, Any], region: str) -> dict[str, Any]:
    """One region's cut-flow as a HEPData data-file dict."""
    steps = doc["regions"][region]["cutflow"]
    q = _qualifiers(doc, region)

    def dep(name: str, units: str, key: str, err: str | None) -> dict[str, Any]:
        values = []
        for s in steps:
            v: dict[str, Any] = {"value": _num(s.get(key))}
            if err is not None and s.get(key) is not None:
                v.update(_stat(s.get(err)))
            values.append(v)
        # a fresh list per column: shared objects would come out as YAML anchors (&id001)
        quals = [dict(x) for x in q]
        return {"header": {"name": name, "units": units}, "qualifiers": quals, "values": values}

    return {
        "independent_variables": [
            {
                "header": {"name": "Cut", "units": ""},
                "values": [{"value": s["step"]} for s in steps],
            }
        ],
        "dependent_variables": [
            dep("Yield", _unit(doc), "yield", "yield_stat"),
            dep("Cumulative efficiency", "", "efficiency", "efficiency_stat"),
            dep("Relative efficiency", "", "relative_efficiency", None),
            dep("Raw MC events", "", "raw", None),
        ],
    }


def yields_table(doc: dict[str, Any]) -> dict[str, Any]:
    """All regions' final yields, one column per weight variation."""
    regions = list(doc["regions"])
    q = [x for x in _qualifiers(doc, "all") if x["name"] != "REGION"]
    nominal = {
        "header": {"name": "Yield", "units": _unit(doc)},
        "qualifiers": [dict(x) for x in q],
        "values": [
            {
                "value": float(doc["regions"][r]["yield"]),
                **_stat(doc["regions"][r]["yield_stat"]),
            }
            for r in regions
        ],
    }
    deps = [nominal]
    for w in doc["weight_names"][1:]:
        deps.append(
            {
                "header": {"name": f"Yield ({w})", "units": _unit(doc)},
                "qualifiers": [*(dict(x) for x in q), {"name": "WEIGHT", "value": w}],
                "values": [
                    {"value": _num(doc["regions"][r]["variations"].get(w))} for r in regions
                ],
            }
        )
    return {
        "independent_variables": [
            {"header": {"name": "Region", "units": ""}, "values": [{"value": r} for r in regions]}
        ],
        "dependent_variables": deps,
    }


def _dump(data: Any, path: Path, doc: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True)
    write_text(path, comment_partial(doc, text))  # YAML comments: readers skip them


def write_hepdata(doc: dict[str, Any], outdir: str | Path) -> list[Path]:
    out = Path(outdir)
    a = doc["analysis"]
    tables: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for region, reg in doc["regions"].items():
        entry = {
            "name": f"Cutflow {region}",
            "description": f"Cut-flow of {region}: {reg.get('description', '')}".rstrip(": "),
            "location": "hepreint reinterpretation",
            "data_file": f"cutflow_{safe_name(region).lower()}.yaml",
            "keywords": [
                {"name": "observables", "values": ["N"]},
                {"name": "phrases", "values": ["Cutflow"]},
                *(
                    [{"name": "cmenergies", "values": [float(a["sqrt_s_TeV"]) * 1000]}]
                    if a.get("sqrt_s_TeV") is not None
                    else []
                ),
            ],
        }
        tables.append((entry, cutflow_table(doc, region)))
    tables.append(
        (
            {
                "name": "Region yields",
                "description": "Final yield of every region, nominal and per weight variation.",
                "location": "hepreint reinterpretation",
                "data_file": "region_yields.yaml",
                "keywords": [{"name": "observables", "values": ["N"]}],
            },
            yields_table(doc),
        )
    )
    prov = doc.get("provenance", {})
    head = {
        "comment": (
            f"hepreint {prov.get('hepreint_version', '')} reinterpretation of {a['title']}"
            f" (arXiv:{a.get('arxiv', '')}); analysis sha256 {a.get('sha256', '')};"
            f" sample {sample_name(doc)}; status {doc.get('status', '')}."
            + (f" {partial_note(doc)}." if partial_note(doc) else "")
        ),
    }
    written = []
    for entry, data in tables:
        p = out / str(entry["data_file"])
        _dump(data, p, doc)
        written.append(p)
    sub = out / "submission.yaml"
    write_text(
        sub,
        yaml.safe_dump_all(
            [head] + [e for e, _ in tables],
            default_flow_style=False,
            sort_keys=False,
            explicit_start=True,
            allow_unicode=True,
        ),
    )
    return [sub, *written]
