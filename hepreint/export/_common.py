"""What every exporter needs: a validated results document, the limits, safe names, exact floats.

The exporters work from the results JSON alone, so a result can be converted long after the run
(and on a machine without the events); that is why bad input is checked here, once, with one
line per problem that names the file.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from hepreint.errors import HepreintError
from hepreint.results.load import check_results, load_results  # noqa: F401 - re-exported

#: the id of the limits.json ``hepreint limits`` writes (hepreint.stats.limits.SCHEMA_ID)
LIMITS_SCHEMA_ID = "hepreint-limits/1"
#: the keys a limits entry may carry (all optional); s95 values are numbers of signal events
LIMIT_KEYS = ("s95_obs", "s95_exp", "cls_obs", "cls_exp", "r_obs", "r_exp")


def load_limits(path: str | Path) -> dict[str, dict[str, float]]:
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read limits ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise HepreintError(f"{p}: limits are not JSON (line {exc.lineno}: {exc.msg})") from None
    return check_limits(raw, str(p), strict=True)


def check_limits(
    limits: Any, name: str = "limits", *, strict: bool = False
) -> dict[str, dict[str, float]]:
    """``{region: {s95_obs: ..., ...}}`` with numbers only; unknown keys are an error (typos).

    Also accepted: the ``limits.json`` of ``hepreint limits``, checked against its schema
    (hepreint-limits/1) so that a damaged one is refused with its file and JSON path. A file
    (``strict``, from :func:`load_limits`) with a ``schema`` or a ``regions`` list must be one;
    an in-memory dict of another tool in the same shape (a ``regions`` list) is read leniently.
    """
    if limits is None:
        return {}
    if isinstance(limits, dict) and ("schema" in limits or isinstance(limits.get("regions"), list)):
        if strict or limits.get("schema") == LIMITS_SCHEMA_ID:
            # imported here: hepreint.stats pulls in pyhf, which exporting alone does not need
            from hepreint.stats.limits import check_limits_doc

            check_limits_doc(limits, name)
        if isinstance(limits.get("regions"), list):
            limits = _from_stats(limits, name)
    if not isinstance(limits, dict):
        raise HepreintError(f"{name}: expected an object {{region: {{s95_obs: ...}}}}")
    out: dict[str, dict[str, float]] = {}
    for region, entry in limits.items():
        if not isinstance(entry, dict):
            raise HepreintError(f"{name}: {region}: expected an object of {', '.join(LIMIT_KEYS)}")
        vals: dict[str, float] = {}
        for key, value in entry.items():
            if key not in LIMIT_KEYS:
                raise HepreintError(
                    f"{name}: {region}: unknown key {key!r}; allowed: {', '.join(LIMIT_KEYS)}"
                )
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise HepreintError(f"{name}: {region}.{key}: expected a number, got {value!r}")
            vals[key] = float(value)
        out[str(region)] = vals
    return out


def _from_stats(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """Accept the ``limits.json`` of ``hepreint.stats`` as well: a list of per-region entries
    (``region``, ``s95_obs``, ...) next to likelihood-wide numbers, which are not per region."""
    out: dict[str, Any] = {}
    for entry in doc["regions"]:
        if not isinstance(entry, dict) or "region" not in entry:
            raise HepreintError(f"{name}: regions[]: each entry needs a 'region' name")
        out[str(entry["region"])] = {k: entry[k] for k in LIMIT_KEYS if k in entry}
    return out


def partial_note(doc: dict[str, Any]) -> str | None:
    """What every exported file of *partial* results must say (None for complete ones): a
    partial result exported without the word would pass for the full sample."""
    if doc.get("status") != "partial":
        return None
    why = (doc.get("errors") or ["the run stopped part-way"])[0].splitlines()[0]
    n = (doc.get("normalisation") or {}).get("n_events")
    return f"PARTIAL results: only {n} events were processed ({why}); rerun for complete results"


def comment_partial(doc: dict[str, Any], text: str, prefix: str = "# ") -> str:
    """``text`` with the partial note as a first comment line (formats that have comments)."""
    note = partial_note(doc)
    return f"{prefix}hepreint: {note}\n{text}" if note else text


def limit(limits: dict[str, dict[str, float]], region: str, key: str) -> float | None:
    return limits.get(region, {}).get(key)


def safe_name(text: str) -> str:
    """A file-, path- and column-safe token: tools split on whitespace and '/'."""
    out = re.sub(r"[^A-Za-z0-9_.+-]+", "_", text.strip()).strip("_")
    return out or "unnamed"


def fnum(x: float | int | None) -> str:
    """Shortest scientific text that reads back to the same double (inf/nan spelled plainly)."""
    if x is None:
        return "nan"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    # YODA-/MA5-looking "%.6e" when that is exact, more digits when the double needs them
    digits = len(np.format_float_scientific(x, unique=True).split("e")[0].replace("-", ""))
    return f"{x:.{max(6, digits - 2)}e}"


def sample_name(doc: dict[str, Any]) -> str:
    """The dataset label (MadAnalysis5 'dataset', CheckMATE process): the first input's stem."""
    inputs = doc.get("provenance", {}).get("inputs") or []
    if not inputs:
        return "sample"
    name = Path(str(inputs[0].get("path", "sample"))).name
    for ext in (".gz", ".bz2", ".zst", ".hepmc3", ".hepmc2", ".hepmc"):
        name = name.removesuffix(ext)
    return safe_name(name)
