"""What a scan will do, point by point, and what it can keep from a previous run.

Each point gets a deterministic seed (from the scan seed and its parameter values, never from
its position in the grid, so adding points does not change the others) and a *config digest*
over everything that shapes its outputs: analysis sha256, process, events, seed, detector,
normalisation, input files. A point is **done** when its ``point.json`` (written last, after
``results.json`` and ``limits.json``) records the same digest and those files are present and
agree with it; anything else (no ``point.json``, a different digest, a missing file) is redone.
Points the generator cannot make (its settings builder refuses the parameters) are **skipped**
with the generator's own reason.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hepreint._version import __version__
from hepreint.scan.grid import GridPoint, ScanError

POINT_SCHEMA = "hepreint-scan-point/1"
#: Pythia's seed range is 0 < seed < 900000000
SEED_RANGE = 899_999_999


@dataclass(frozen=True)
class ScanConfig:
    """Everything shared by the points of one scan (small and picklable: sent to workers)."""

    analysis: str  # the analysis directory (absolute)
    analysis_sha256: str
    outdir: str
    process: str | None = None
    n_events: int = 0
    seed: int = 12345
    detector: str | None = None
    tagging: str | None = None
    xsec_pb: float | None = None
    lumi_fb: float | None = None
    batch_size: int = 1000
    with_limits: bool = True
    per_region: bool = True
    command: str = ""

    def options(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PlannedPoint:
    point: GridPoint
    seed: int
    digest: str
    directory: Path
    status: str  # "todo", "done", "skipped"
    reason: str = ""
    #: the generator's parameters (the analysis parameters the process takes)
    gen_params: dict[str, float] = field(default_factory=dict)

    @property
    def generates(self) -> bool:
        return not self.point.files


def point_seed(scan_seed: int, point: GridPoint) -> int:
    """A seed in [1, 899999999] from the scan seed and the point's values (sha256)."""
    key = json.dumps([scan_seed, [[k, repr(float(v))] for k, v in point.params]])
    h = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return 1 + h % SEED_RANGE


def _file_id(path: str) -> list[Any]:
    p = Path(path)
    st = p.stat()
    return [str(p.resolve()), st.st_size, int(st.st_mtime)]


def point_digest(config: ScanConfig, point: GridPoint, seed: int) -> str:
    """sha256 over what determines the point's outputs (given files by path, size, mtime)."""
    key = {
        "hepreint": __version__,
        "analysis_sha256": config.analysis_sha256,
        "params": [[k, repr(float(v))] for k, v in point.params],
        "seed": seed,
        "files": [_file_id(f) for f in point.files],
        "process": None if point.files else config.process,
        "n_events": None if point.files else config.n_events,
        "detector": config.detector,
        "tagging": config.tagging,
        "xsec_pb": config.xsec_pb,
        "lumi_fb": config.lumi_fb,
        "with_limits": config.with_limits,
        "per_region": config.per_region,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def generator_params(process: str, values: dict[str, float]) -> dict[str, float]:
    """The point's values the process takes (an analysis may declare more parameters)."""
    from hepreint.generate.processes import lookup

    proc = lookup(process)
    takes = set(proc.params) | set(proc.defaults)
    missing = [p for p in proc.params if p not in values]
    if missing:
        raise ScanError(
            f"--process {process} needs parameter(s) {', '.join(missing)} that the grid does not "
            f"set; add --grid {missing[0]}=... (or give event files per point with --points)"
        )
    return {k: v for k, v in values.items() if k in takes}


def plan(config: ScanConfig, points: list[GridPoint]) -> list[PlannedPoint]:
    """Each point with its seed, digest, directory and status (todo, done, skipped)."""
    from hepreint.errors import SpecError
    from hepreint.generate.processes import process_settings

    out = []
    for pt in points:
        seed = point_seed(config.seed, pt)
        directory = Path(config.outdir) / "points" / pt.name
        pp = PlannedPoint(pt, seed, point_digest(config, pt, seed), directory, "todo")
        if not pt.files:
            if config.process is None:
                raise ScanError(
                    f"point {pt.label()}: no event files and no --process to generate them; "
                    "give --process NAME --events N, or files per point in --points"
                )
            pp.gen_params = generator_params(config.process, pt.values)
            try:
                process_settings(config.process, seed, pp.gen_params)
            except SpecError as exc:
                pp.status, pp.reason = "skipped", f"the generator cannot make it: {exc}"
                out.append(pp)
                continue
        ok, _ = is_done(pp)
        if ok:
            pp.status = "done"
        out.append(pp)
    return out


def manifest_path(directory: Path) -> Path:
    return directory / "point.json"


def is_done(pp: PlannedPoint) -> tuple[bool, str]:
    """(done, why not): point.json with this digest, and its outputs present and matching."""
    m = manifest_path(pp.directory)
    if not m.is_file():
        return False, "not run yet (or interrupted)"
    try:
        doc = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False, f"{m} is unreadable"
    if not isinstance(doc, dict) or doc.get("schema") != POINT_SCHEMA:
        return False, f"{m} is not a scan point record"
    if doc.get("digest") != pp.digest:
        return False, "its configuration changed (digest)"
    if doc.get("status") != "complete":
        return False, f"status {doc.get('status')!r}"
    for name in doc.get("outputs", []):
        if not (pp.directory / name).is_file():
            return False, f"{name} is missing"
    res = _read(pp.directory / "results.json")
    if res is None or res.get("status") != "complete":
        return False, "results.json is missing, unreadable or partial"
    have = (res.get("analysis") or {}).get("parameters") or {}
    if any(float(have.get(k, float("nan"))) != v for k, v in pp.point.params):
        return False, "results.json is for other parameter values"
    if (res.get("provenance") or {}).get("seed") != pp.seed:
        return False, "results.json has another seed"
    return True, ""


def _read(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def write_manifest(pp: PlannedPoint, outputs: list[str], extra: dict[str, Any]) -> Path:
    """The point's record, written last: its presence with this digest means 'done'."""
    from hepreint.results.output import write_json

    doc = {
        "schema": POINT_SCHEMA,
        "status": "complete",
        "parameters": pp.point.values,
        "seed": pp.seed,
        "digest": pp.digest,
        "outputs": outputs,
        **extra,
    }
    return write_json(manifest_path(pp.directory), doc, "the scan point record")
