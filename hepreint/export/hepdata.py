"""HEPData YAML: our cut-flows as a submission, and a reader for published HEPData tables.

The writer produces what ``hepdata_lib`` would (one ``submission.yaml`` with a YAML document per
table, one data file per table, ``independent_variables``/``dependent_variables`` with
``header``, ``qualifiers``, ``values`` and ``errors: [{symerror, label: stat}]``) without
depending on it, so a reinterpretation result can be uploaded as a HEPData resource or compared
with a published cut-flow by the same code. Numbers are written unrounded (hepdata_lib rounds to
five digits) so the files read back exactly.

The reader is for tables downloaded from hepdata.net, which are less regular than ours: values
may be strings (``'-'``), errors may be absent, relative (``'5%'``) or asymmetric, bins may have
``low``/``high`` with or without a ``value``, qualifiers may repeat, and data files may be JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import HepreintError
from ._common import safe_name, sample_name

# --- writing ------------------------------------------------------------------------------------


def _num(x: Any) -> Any:
    """HEPData's placeholder for a missing number is the string '-'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return float(x)


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
            if err is not None and s.get(err) is not None and s.get(key) is not None:
                v["errors"] = [{"symerror": float(s[err]), "label": "stat"}]
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
                "errors": [{"symerror": float(doc["regions"][r]["yield_stat"]), "label": "stat"}],
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


def _dump(data: Any, path: Path) -> None:
    path.write_text(
        yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )


def write_hepdata(doc: dict[str, Any], outdir: str | Path) -> list[Path]:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
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
        ),
    }
    written = []
    for entry, data in tables:
        p = out / str(entry["data_file"])
        _dump(data, p)
        written.append(p)
    sub = out / "submission.yaml"
    sub.write_text(
        yaml.safe_dump_all(
            [head] + [e for e, _ in tables],
            default_flow_style=False,
            sort_keys=False,
            explicit_start=True,
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return [sub, *written]


# --- reading ------------------------------------------------------------------------------------


@dataclass
class XValue:
    """One independent-variable entry: a bin (low/high), a point (value), or both."""

    value: float | str | None = None
    low: float | None = None
    high: float | None = None


@dataclass
class Uncertainty:
    """One error source of one value; ``minus``/``plus`` as in the file (minus usually < 0)."""

    label: str
    minus: float
    plus: float
    symmetric: bool


@dataclass
class Qualifier:
    name: str
    value: str
    units: str = ""


@dataclass
class Column:
    header: str
    units: str
    qualifiers: list[Qualifier]
    values: list[float | str | None]
    errors: list[list[Uncertainty]] = field(default_factory=list)

    def qualifier(self, name: str) -> str | None:
        for q in self.qualifiers:
            if q.name.upper() == name.upper():
                return q.value
        return None

    def total_errors(self) -> list[tuple[float, float]]:
        """(down, up) magnitudes per value, every source added in quadrature."""
        out = []
        for errs in self.errors:
            down = math.sqrt(sum(min(e.minus, e.plus, 0.0) ** 2 for e in errs))
            up = math.sqrt(sum(max(e.minus, e.plus, 0.0) ** 2 for e in errs))
            out.append((down, up))
        return out


@dataclass
class HEPDataTable:
    name: str
    x_header: str
    x_values: list[XValue]
    columns: list[Column]
    x_units: str = ""
    #: every independent variable (``x_*`` repeat the first): (header, units, values)
    independent: list[tuple[str, str, list[XValue]]] = field(default_factory=list)

    def column(self, header: str) -> Column:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(
            f"{self.name}: no column {header!r}; have {[c.header for c in self.columns]}"
        )


def _number(x: Any) -> float | str | None:
    """Numbers stay numbers, numeric strings become numbers, anything else stays text."""
    if x is None:
        return None
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int | float):
        return float(x)
    s = str(x).strip()
    try:
        return float(s)
    except ValueError:
        return s


def _err(x: Any, value: float | str | None) -> float:
    """An error entry: a number, a numeric string, or a percentage of the value."""
    if isinstance(x, int | float) and not isinstance(x, bool):
        return float(x)
    s = str(x).strip()
    if s.endswith("%"):
        pct = float(s[:-1])
        return pct / 100.0 * abs(value) if isinstance(value, float) else math.nan
    return float(s)


def _uncertainties(raw: Any, value: float | str | None, where: str) -> list[Uncertainty]:
    out = []
    for e in raw or []:
        if not isinstance(e, dict):
            continue
        label = str(e.get("label", ""))
        try:
            if "symerror" in e:
                s = _err(e["symerror"], value)
                out.append(Uncertainty(label, -abs(s), abs(s), True))
            elif "asymerror" in e:
                a = e["asymerror"] or {}
                out.append(
                    Uncertainty(
                        label, _err(a.get("minus", 0), value), _err(a.get("plus", 0), value), False
                    )
                )
        except ValueError:
            raise HepreintError(f"{where}: unreadable error {e!r}") from None
    return out


def _x(v: Any) -> XValue:
    if not isinstance(v, dict):
        return XValue(value=_number(v))
    low, high = _number(v.get("low")), _number(v.get("high"))
    return XValue(
        value=_number(v.get("value")),
        low=low if isinstance(low, float) else None,
        high=high if isinstance(high, float) else None,
    )


def _header(h: Any) -> tuple[str, str]:
    if isinstance(h, dict):
        return str(h.get("name", "")), str(h.get("units", "") or "")
    return str(h or ""), ""


def parse_table(data: Any, name: str = "") -> HEPDataTable:
    """A HEPData data-file dict (as ``yaml.safe_load`` returns it) as a :class:`HEPDataTable`."""
    if not isinstance(data, dict) or "dependent_variables" not in data:
        raise HepreintError(
            f"{name or 'HEPData table'}: no dependent_variables; not a HEPData table"
        )
    indep = []
    for iv in data.get("independent_variables") or []:
        h, u = _header(iv.get("header"))
        indep.append((h, u, [_x(v) for v in iv.get("values") or []]))
    cols = []
    for k, dv in enumerate(data["dependent_variables"] or []):
        h, u = _header(dv.get("header"))
        quals = [
            Qualifier(
                str(q.get("name", "")), str(q.get("value", "")), str(q.get("units", "") or "")
            )
            for q in dv.get("qualifiers") or []
            if isinstance(q, dict)
        ]
        values, errors = [], []
        for i, v in enumerate(dv.get("values") or []):
            val = _number(v.get("value")) if isinstance(v, dict) else _number(v)
            values.append(val)
            raw = v.get("errors") if isinstance(v, dict) else None
            errors.append(_uncertainties(raw, val, f"{name}: column {k} ({h}) row {i}"))
        cols.append(Column(h, u, quals, values, errors))
    xh, xu, xv = indep[0] if indep else ("", "", [])
    return HEPDataTable(name, xh, xv, cols, xu, indep)


def read_table(path: str | Path, name: str | None = None) -> HEPDataTable:
    """Read one HEPData table file (YAML or JSON)."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        raise HepreintError(f"{p}:{at} not YAML/JSON; expected a HEPData table") from None
    return parse_table(data, name or p.stem)


def read_submission(directory: str | Path) -> list[HEPDataTable]:
    """Every table listed in a submission's ``submission.yaml``, named as there."""
    d = Path(directory)
    sub = d / "submission.yaml"
    try:
        docs = list(yaml.safe_load_all(sub.read_text(encoding="utf-8")))
    except OSError as exc:
        raise HepreintError(f"{sub}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError:
        raise HepreintError(f"{sub}: not YAML; expected a HEPData submission.yaml") from None
    return [
        read_table(d / str(doc["data_file"]), str(doc.get("name", doc["data_file"])))
        for doc in docs
        if isinstance(doc, dict) and doc.get("data_file")
    ]
