"""The scan maps as a HEPData submission: ``submission.yaml`` and one table per map.

One row per point; the scan parameters are the independent variables (two for a 2D grid,
HEPData's usual form of a mass plane, one for a 1D scan). The efficiency table has one column
per region (A×ε with its MC statistical error), the limit table the observed and expected
σ×BR limits (expected: median with the ±1σ and ±2σ bands as asymmetric errors) and the same on
μ. The value and error helpers are those of the cut-flow export (:mod:`hepreint.export.hepdata`):
numbers unrounded, ``'-'`` for a missing one, no all-zero error lists (hepdata-validator refuses
them). Warnings of the maps (calibrated likelihood, surrogates, partial scan) go into every
table's description and the submission comment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hepreint.export.hepdata import _num, _stat
from hepreint.results.output import write_text
from hepreint.scan.maps import caveats

EFF_FILE = "acceptance_efficiency.yaml"
LIMIT_FILE = "upper_limits.yaml"


def _independent(doc: dict[str, Any], points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "header": {"name": p["name"], "units": p.get("unit", "")},
            "values": [{"value": float(pt["parameters"][p["name"]])} for pt in points],
        }
        for p in doc["parameters"]
    ]


def _qualifiers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    a = doc["analysis"]
    qs: list[dict[str, Any]] = []
    if a.get("sqrt_s_TeV") is not None:
        qs.append({"name": "SQRT(S)", "units": "GeV", "value": float(a["sqrt_s_TeV"]) * 1000})
    if a.get("luminosity_fb") is not None:
        qs.append({"name": "LUMINOSITY", "units": "fb$^{-1}$", "value": float(a["luminosity_fb"])})
    arxiv = f" (arXiv:{a['arxiv']})" if a.get("arxiv") else ""
    qs.append(
        {"name": "ANALYSIS", "value": f"{a.get('experiment', '')} {a['name']}{arxiv}".strip()}
    )
    return qs


def efficiency_table(doc: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    points = [p for p in doc["points"] if p.get("efficiency")]
    deps = []
    for region in doc["regions"]:
        values = []
        for pt in points:
            e = pt["efficiency"].get(region)
            cell: dict[str, Any] = {"value": _num(e["value"] if e else None)}
            if e and e["value"] is not None:
                cell.update(_stat(e["stat"]))
            values.append(cell)
        quals = [*_qualifiers(doc), {"name": "REGION", "value": region}]
        deps.append({"header": {"name": f"A x eff ({region})", "units": ""},
                     "qualifiers": quals, "values": values})  # fmt: skip
    return {"independent_variables": _independent(doc, points), "dependent_variables": deps}, points


def _band(pt: dict[str, Any], key: str) -> dict[str, Any]:
    lim = pt.get("limits") or {}
    exp = lim.get(key) or {}
    med = exp.get("median")
    cell: dict[str, Any] = {"value": _num(med)}
    if med is None or any(exp.get(b) is None for b in ("-2sigma", "-1sigma", "+1sigma", "+2sigma")):
        return cell
    errs = []
    for lo, hi, label in (("-1sigma", "+1sigma", "1 sigma"), ("-2sigma", "+2sigma", "2 sigma")):
        plus, minus = float(exp[hi]) - med, float(exp[lo]) - med
        if plus or minus:
            errs.append({"asymerror": {"plus": plus, "minus": minus}, "label": label})
    if errs:
        cell["errors"] = errs
    return cell


def limit_table(doc: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    points = [p for p in doc["points"] if p.get("limits")]
    q = _qualifiers(doc)

    def col(name: str, units: str, cells: list[dict[str, Any]]) -> dict[str, Any]:
        return {"header": {"name": name, "units": units}, "qualifiers": [dict(x) for x in q],
                "values": cells}  # fmt: skip

    obs = [{"value": _num((p["limits"] or {}).get("xsec_limit_obs_fb"))} for p in points]
    mu_obs = [{"value": _num((p["limits"] or {}).get("mu_limit_obs"))} for p in points]
    deps = [
        col("Observed 95% CL upper limit on sigma x BR", "fb", obs),
        col("Expected 95% CL upper limit on sigma x BR", "fb",
            [_band(p, "xsec_limit_exp_fb") for p in points]),
        col("Observed 95% CL upper limit on mu", "", mu_obs),
        col("Expected 95% CL upper limit on mu", "", [_band(p, "mu_limit_exp") for p in points]),
    ]  # fmt: skip
    return {"independent_variables": _independent(doc, points), "dependent_variables": deps}, points


def _dump(data: Any, path: Path, note: str) -> Path:
    text = yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True)
    return write_text(path, (f"# hepreint: {note}\n" if note else "") + text)


def write_scan_hepdata(doc: dict[str, Any], outdir: str | Path) -> list[Path]:
    """``outdir/submission.yaml`` and one data file per map; the paths written."""
    out = Path(outdir)
    a = doc["analysis"]
    names = " and ".join(p["name"] for p in doc["parameters"])
    note = caveats(doc)
    suffix = f" Caveats: {note}." if note else ""
    cm = (
        [{"name": "cmenergies", "values": [float(a["sqrt_s_TeV"]) * 1000]}]
        if a.get("sqrt_s_TeV") is not None
        else []
    )
    tables: list[tuple[dict[str, Any], dict[str, Any]]] = []
    eff, eff_points = efficiency_table(doc)
    if eff_points and doc["regions"]:
        tables.append((
            {
                "name": "Acceptance times efficiency map",
                "description": (
                    f"Acceptance times efficiency (selected / generated weight) of every region "
                    f"vs {names}, with the MC statistical error.{suffix}"
                ),
                "location": "hepreint reinterpretation scan",
                "data_file": EFF_FILE,
                "keywords": [{"name": "observables", "values": ["ACC*EFF"]}, *cm],
            },
            eff,
        ))  # fmt: skip
    lim, lim_points = limit_table(doc)
    if lim_points:
        tables.append((
            {
                "name": "Upper limit map",
                "description": (
                    f"95% CL upper limits on sigma x BR (fb) and on mu vs {names}, observed and "
                    f"expected (median, 1 and 2 sigma bands as errors).{suffix}"
                ),
                "location": "hepreint reinterpretation scan",
                "data_file": LIMIT_FILE,
                "keywords": [{"name": "observables", "values": ["SIG"]}, *cm],
            },
            lim,
        ))  # fmt: skip
    head = {
        "comment": (
            f"hepreint scan of {a.get('title', a['name'])} (arXiv:{a.get('arxiv', '')}); "
            f"analysis sha256 {a['sha256']}; {len(doc['points'])} points in {names}; status "
            f"{doc['status']}.{suffix}"
        )
    }
    written = [_dump(data, out / str(entry["data_file"]), note) for entry, data in tables]
    sub = write_text(
        out / "submission.yaml",
        yaml.safe_dump_all([head] + [e for e, _ in tables], default_flow_style=False,
                           sort_keys=False, explicit_start=True, allow_unicode=True),
    )  # fmt: skip
    return [sub, *written]
