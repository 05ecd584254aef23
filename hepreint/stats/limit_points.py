"""The points of a Brazil-band plot: limits on σ (or μ) against an analysis parameter.

:func:`read_limit_points` reads several ``limits.json``, one per parameter point (``mX`` ...),
checks that they belong together and finds each point's parameter value (in the file, else in
the results.json next to it); :func:`read_theory` reads a theory curve to draw over them.
Drawing is :mod:`hepreint.stats.bands`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError
from hepreint.stats.limits import BANDS, check_limits_doc


@dataclass
class LimitPoint:
    x: float
    observed: float | None
    expected: list[float]  # -2σ, -1σ, median, +1σ, +2σ
    source: str


@dataclass
class LimitScan:
    analysis: str
    param: str
    unit: str
    mu: bool
    label: str
    luminosity_fb: float | None
    points: list[LimitPoint]
    warnings: list[str] = field(default_factory=list)


#: what plot-limits reads of a limits.json; the rest (regions, fit details) may be absent.
#: ``parameters`` may be too: then they come from the results.json next to the file.
PLOT_NEEDS = (
    "schema", "analysis", "likelihood_kind", "label", "luminosity_fb",
    "mu_limit_obs", "mu_limit_exp", "xsec_limit_obs_fb", "xsec_limit_exp_fb",
)  # fmt: skip


def read_limit_points(
    paths: list[str | Path], param: str | None = None, *, mu: bool = False
) -> LimitScan:
    """One point per limits.json; the parameter value comes from the limits file's
    ``parameters`` if it has them, else from the results.json next to it."""
    if not paths:
        raise HepreintError("plot-limits: no limits.json given")
    docs = [(Path(p), _read_json(Path(p), "limits")) for p in paths]
    names = {}
    for p, d in docs:
        check_limits_doc(d, str(p), needs=PLOT_NEEDS)
        names[p] = d.get("analysis")
    if len(set(names.values())) > 1:
        listed = ", ".join(f"{p}: {a}" for p, a in names.items())
        raise HepreintError(f"plot-limits: the files are for different analyses ({listed})")
    kinds = {d.get("likelihood_kind") for _, d in docs}
    if len(kinds) > 1:
        raise HepreintError(
            f"plot-limits: the files use different likelihood kinds ({', '.join(map(str, kinds))})"
        )
    params = [(p, d, _parameters(p, d)) for p, d in docs]
    if param is None:
        common = set.intersection(*(set(ps) for _, _, ps in params))
        if len(common) != 1:
            raise HepreintError(
                f"plot-limits: say which parameter to plot against with --param (the files have "
                f"{', '.join(sorted(common)) or 'no common parameter'})"
            )
        param = common.pop()
    notes: list[str] = []
    points: list[LimitPoint] = []
    for p, d, ps in params:
        if param not in ps:
            have = ", ".join(sorted(ps)) or "none"
            raise HepreintError(f"{p}: no analysis parameter {param!r} recorded (it has {have})")
        key_obs, key_exp = (
            ("mu_limit_obs", "mu_limit_exp")
            if mu
            else (
                "xsec_limit_obs_fb",
                "xsec_limit_exp_fb",
            )
        )
        exp = d.get(key_exp) or {}
        if any(exp.get(b) is None for b in BANDS):
            if not mu and d.get("mu_limit_exp"):
                raise HepreintError(
                    f"{p}: no cross-section limit (results not normalised to a σ); use --mu"
                )
            notes.append(f"{p}: no expected limit ({param} = {ps[param]:g}): point left out")
            continue
        obs = d.get(key_obs)
        points.append(
            LimitPoint(
                float(ps[param]),
                float(obs) if obs is not None else None,
                [float(exp[b]) for b in BANDS],
                str(p),
            )
        )
    points.sort(key=lambda pt: pt.x)
    xs = [pt.x for pt in points]
    dup = sorted({x for x in xs if xs.count(x) > 1})
    if dup:
        raise HepreintError(
            f"plot-limits: two files at {param} = {', '.join(f'{x:g}' for x in dup)}; "
            "pass one limits.json per parameter point"
        )
    if not points:
        raise HepreintError("plot-limits: no file has a finite expected limit")
    first = docs[0][1]
    return LimitScan(
        analysis=str(names[docs[0][0]]),
        param=param,
        unit=_unit(docs[0][0], param),
        mu=mu,
        label=str(first.get("label", "")),
        luminosity_fb=first.get("luminosity_fb"),
        points=points,
        warnings=notes,
    )


def read_theory(path: str | Path) -> tuple[list[float], list[float], str]:
    """``x`` and ``sigma_fb`` lists (and an optional ``label``) from a YAML file."""
    import yaml

    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read the theory curve ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise HepreintError(f"{p}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or "x" not in doc or "sigma_fb" not in doc:
        raise HepreintError(f"{p}: a theory curve needs 'x' and 'sigma_fb' lists")
    x, s = doc["x"], doc["sigma_fb"]
    ok = isinstance(x, list) and isinstance(s, list) and len(x) == len(s) and len(x) >= 1
    if not ok or not all(_number(v) for v in [*x, *s]):
        raise HepreintError(f"{p}: 'x' and 'sigma_fb' must be number lists of the same length")
    return [float(v) for v in x], [float(v) for v in s], str(doc.get("label", "theory"))


def _read_json(p: Path, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read {what} ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise HepreintError(f"{p}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise HepreintError(f"{p}: not a hepreint {what} file")
    return doc


def _parameters(p: Path, d: dict[str, Any]) -> dict[str, float]:
    """The analysis parameters of a limits file: its own, else its results.json's."""
    if isinstance(d.get("parameters"), dict):
        return {str(k): float(v) for k, v in d["parameters"].items()}
    res = p.with_name("results.json")
    if not res.is_file():
        raise HepreintError(
            f"{p}: records no analysis parameters and there is no results.json next to it; "
            "keep limits.json next to the results it was made from"
        )
    r = _read_json(res, "results")
    a = r.get("analysis") or {}
    if a.get("name") != d.get("analysis"):
        raise HepreintError(
            f"{res}: results for {a.get('name')!r}, but {p.name} is for {d.get('analysis')!r}"
        )
    return {str(k): float(v) for k, v in (a.get("parameters") or {}).items()}


def _unit(p: Path, param: str) -> str:
    """The parameter's unit from analysis.yaml (via the results' analysis directory), if found."""
    res = p.with_name("results.json")
    try:
        a = json.loads(res.read_text(encoding="utf-8")).get("analysis") or {}
        import yaml

        raw = yaml.safe_load((Path(a["directory"]) / "analysis.yaml").read_text(encoding="utf-8"))
        return str(raw["parameters"][param].get("unit", ""))
    except Exception:  # the unit is decoration; no unit is fine
        return ""


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
