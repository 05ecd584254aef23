"""Load ``analyses/<Name>/analysis.yaml``: validate against the schema, then compile once.

All problems are collected and raised together as one :class:`SpecError` whose lines each name
the file, the line, the YAML path and the fix. Compilation resolves every name an expression
uses, orders variables by dependency, and expands regions (parents, bins) into flat cut-flows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from hepreint.analysis.catalog import directory_digest, resolve_analysis_path
from hepreint.analysis.expr import Compiled, ExpressionError, compile_expression
from hepreint.analysis.schemas import validate
from hepreint.analysis.yamlfile import LocatedYAML, PathKey, load_yaml
from hepreint.errors import SpecError

ALL_EVENTS = "all events"

#: longest chain of region parents (a region's steps are built by recursion over its parents)
MAX_PARENTS = 100

#: object keys that are not builder parameters
DESCRIPTIVE = ("type", "where", "source")
#: reads a ``networks:`` section; registered by :mod:`hepreint.networks` (one stage up)
NETWORK_LOADER: list[Any] = []


@dataclass(frozen=True)
class ObjectDef:
    name: str
    kind: str  # one of BASE_TYPES, "select" or "merge"
    params: dict[str, Any]
    where: Compiled | None = None
    sources: tuple[str, ...] = ()  # for select: (parent,), merge: the merged names


@dataclass(frozen=True)
class OverlapRule:
    remove: str
    near: str
    dR: float
    use_rapidity: bool = False


@dataclass(frozen=True)
class Step:
    """One cut-flow step: a named cut, or a bin condition ``lo <= variable < hi``."""

    label: str
    cut: str | None = None
    bin: tuple[str, float, float] | None = None


@dataclass(frozen=True)
class RegionDef:
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    bin: dict[str, Any] | None = None


@dataclass
class Analysis:
    directory: Path
    metadata: dict[str, Any]
    parameters: dict[str, float]
    objects: list[ObjectDef]
    overlap_removal: list[OverlapRule]
    variables: dict[str, Compiled]  # in dependency order
    cuts: dict[str, Compiled]
    regions: list[RegionDef]
    event_weights: list[Compiled]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    path: Path | None = None
    #: per-event factors of weighted cuts (e.g. a truth-tagging probability): from that step on,
    #: every region using the cut fills its yields with weight × factor
    cut_weights: dict[str, Compiled] = field(default_factory=dict)
    #: flavour-tag requirements by cut name (``tags:``): {collection, at_least/at_most/exactly}
    tag_cuts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: trigger names the cuts use (true/false per event; from the detector card's triggers)
    triggers: tuple[str, ...] = ()
    #: the detector response this run applies: a card name, ``truth`` or ``none``
    detector: str = "truth"
    #: ``direct`` or ``truth`` tagging (meaningful with a detector card only)
    tagging: str = "direct"
    #: set when one run applies several detectors: results are keyed ``name@detector``
    detector_label: bool = False
    #: the networks by the names expressions use (:mod:`hepreint.networks`)
    networks: dict[str, Any] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        """Compiled expressions are closures; workers recompile from the file instead."""
        return (
            _reload,
            (str(self.path), dict(self.parameters), self.digest(),
             (self.detector, self.tagging, self.detector_label)),
        )  # fmt: skip

    @property
    def default_detector(self) -> str:
        return str((self.raw.get("detector") or {}).get("default", "truth"))

    @property
    def key(self) -> str:
        """The analysis' name in a run: with several detectors, ``name@detector``."""
        return f"{self.name}@{self.detector}" if self.detector_label else self.name

    def with_detector(
        self, detector: str | None = None, tagging: str | None = None, label: bool = False
    ) -> Analysis:
        """A copy run with ``detector`` (default: the analysis' own) and ``tagging``."""
        det = detector or self.default_detector
        tag = tagging or str((self.raw.get("detector") or {}).get("tagging", "direct"))
        if tag not in ("direct", "truth"):
            raise SpecError(f"tagging {tag!r}: choose direct or truth")
        return Analysis(**{**self.__dict__, "detector": det, "tagging": tag,
                           "detector_label": label})  # fmt: skip

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    @property
    def layout(self) -> dict[str, tuple[str, ...]]:
        return {r.name: tuple(s.label for s in r.steps) for r in self.regions}

    def digest(self) -> str:
        """sha256 over the analysis directory's files (names and contents), for provenance."""
        return directory_digest(self.directory)

    def with_parameters(self, values: dict[str, float]) -> Analysis:
        unknown = [k for k in values if k not in self.parameters]
        if unknown:
            known = ", ".join(self.parameters) or "none"
            raise SpecError(
                f"{self.directory / 'analysis.yaml'}: unknown parameter(s) {', '.join(unknown)}; "
                f"this analysis declares: {known}"
            )
        new = dict(self.parameters)
        new.update(values)
        clone = Analysis(**{**self.__dict__, "parameters": new})
        return clone


def _reload(
    path: str,
    parameters: dict[str, float],
    digest: str,
    detector: tuple[str, str, bool] = ("truth", "direct", False),
) -> Analysis:
    a = load_analysis(path)
    if a.digest() != digest:
        raise SpecError(f"{path}: changed while the run was going on; rerun")
    a = a.with_parameters({k: v for k, v in parameters.items() if k in a.parameters})
    return Analysis(**{**a.__dict__, "detector": detector[0], "tagging": detector[1],
                       "detector_label": detector[2]})  # fmt: skip


def load_analysis(path: str | Path, *, objects_only: bool = False) -> Analysis:
    """The compiled analysis. ``objects_only`` stops after the objects (no networks opened, no
    variables, cuts or regions): what a recipe needs to build training features for a network
    that does not exist yet."""
    yaml_path = resolve_analysis_path(path)
    if not yaml_path.exists():
        raise SpecError(f"{yaml_path}: missing; an analysis directory must hold analysis.yaml")
    doc = load_yaml(yaml_path)
    if not isinstance(doc.data, dict):
        kind = _YAML_KIND.get(type(doc.data), "scalar")
        found = "nothing (empty file)" if doc.data is None else f"a {kind}"
        raise SpecError(
            f"{yaml_path}:1: found {found} at the top level; expected a mapping "
            "(schema: hepreint-analysis/1, metadata: ..., objects: ...)"
        )
    problems = validate(doc.data, "analysis", doc, finite=True)
    if problems:
        raise SpecError(_join(yaml_path, problems))
    return _Builder(doc, objects_only).build()


_YAML_KIND = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


def _join(path: Path, problems: list[str]) -> str:
    head = f"{path}: {len(problems)} problem(s) in the analysis specification"
    return "\n".join([head] + [f"  {p}" for p in problems])


class _Builder:
    def __init__(self, doc: LocatedYAML, objects_only: bool = False) -> None:
        self.doc = doc
        self.objects_only = objects_only
        self.data: dict[str, Any] = doc.data
        self.problems: list[str] = []

    def err(self, key: PathKey, msg: str) -> None:
        self.problems.append(f"{self.doc.where(key)}: {msg}")

    def expr(self, key: PathKey, source: Any, known: set[str], **kw: Any) -> Compiled | None:
        if not kw.get("object_scope"):
            kw.setdefault("records", getattr(self, "records", None))
        try:
            return replace(compile_expression(source, known, **kw), where=self.doc.where(key))
        except ExpressionError as exc:
            text = str(source)
            self.err(key, f"{exc} in {text if len(text) <= 80 else text[:77] + '...'!r}")
            return None

    def build(self) -> Analysis:
        d = self.data
        params = {k: float(v["default"]) for k, v in (d.get("parameters") or {}).items()}
        objects, names = self._objects(set(params))
        overlap = self._overlap(names)
        triggers = tuple(d.get("triggers") or {})
        if self.objects_only:
            if self.problems:
                raise SpecError(_join(self.doc.path, self.problems))
            return self._analysis(params, objects, overlap, {}, {}, [], [], {}, {}, {})
        nets = NETWORK_LOADER[0](self.doc.path.parent, d.get("networks"), names, params)
        self.records = {n: c.fields for n, c in nets.items()}
        variables = self._variables(names | set(params) | set(triggers) | set(nets))
        known = names | set(params) | set(d.get("variables") or {}) | set(triggers) | set(nets)
        cuts: dict[str, Compiled] = {}
        cut_weights: dict[str, Compiled] = {}
        tag_cuts: dict[str, dict[str, Any]] = {}
        for cname, spec in d["cuts"].items():
            if not isinstance(spec, dict):
                spec = {"expr": spec}
            if "tags" in spec:
                coll = spec["tags"]["collection"]
                if coll not in names:
                    key: PathKey = ("cuts", cname, "tags", "collection")
                    self.err(key, _unknown("collection", coll, names))
                tag_cuts[cname] = dict(spec["tags"])
            if "expr" in spec:
                c = self.expr(("cuts", cname), spec["expr"], known)
                if c is not None:
                    cuts[cname] = c
            if "weight" in spec:
                w = self.expr(("cuts", cname, "weight"), spec["weight"], known)
                if w is not None:
                    cut_weights[cname] = w
        regions = self._regions(set(d["cuts"]), set(variables))
        weights = []
        for i, w in enumerate((d.get("weights") or {}).get("event", [])):
            c = self.expr(("weights", "event", i), w, known)
            if c is not None:
                weights.append(c)
        if self.problems:
            raise SpecError(_join(self.doc.path, self.problems))
        return self._analysis(params, objects, overlap, variables, cuts, regions, weights,
                              cut_weights, tag_cuts, nets)  # fmt: skip

    def _analysis(self, params: dict[str, float], objects: list[ObjectDef], *rest: Any) -> Analysis:
        overlap, variables, cuts, regions, weights, cut_weights, tag_cuts, nets = rest
        d = self.data
        return Analysis(
            directory=self.doc.path.parent, metadata=d["metadata"], parameters=params,
            objects=objects, overlap_removal=overlap, variables=variables, cuts=cuts,
            regions=regions, event_weights=weights, raw=d, path=self.doc.path,
            cut_weights=cut_weights, tag_cuts=tag_cuts, triggers=tuple(d.get("triggers") or {}),
            detector=str((d.get("detector") or {}).get("default", "truth")),
            tagging=str((d.get("detector") or {}).get("tagging", "direct")), networks=nets,
        )  # fmt: skip

    def _objects(self, params: set[str]) -> tuple[list[ObjectDef], set[str]]:
        base: list[ObjectDef] = []
        derived: list[ObjectDef] = []
        seen: set[str] = set()
        for name, spec in self.data["objects"].items():
            key: PathKey = ("objects", name)
            where = None
            if "where" in spec:
                where = self.expr(key + ("where",), spec["where"], params, object_scope=True)
            if "type" in spec:
                p = copy.deepcopy({k: v for k, v in spec.items() if k not in DESCRIPTIVE})
                base.append(ObjectDef(name, spec["type"], p, where))
            elif "from" in spec:
                if spec["from"] not in self.data["objects"]:
                    self.err(key + ("from",), _unknown("collection", spec["from"], seen))
                elif spec["from"] not in seen:
                    self.err(key + ("from",), f"{spec['from']!r} must be defined before {name!r}")
                derived.append(ObjectDef(name, "select", {}, where, (spec["from"],)))
            else:
                for i, m in enumerate(spec["merge"]):
                    if m not in seen:
                        self.err(key + ("merge", i), _unknown("earlier collection", m, seen))
                derived.append(ObjectDef(name, "merge", {}, None, tuple(spec["merge"])))
            seen.add(name)
        base_names = {o.name for o in base}
        for o in base:
            for fld, inner in (o.params.get("count_inside") or {}).items():
                key = ("objects", o.name, "count_inside", fld)
                if inner["collection"] not in base_names:
                    self.err(
                        key + ("collection",),
                        _unknown("base collection", inner["collection"], base_names),
                    )
                if "where" in inner:
                    inner["where_compiled"] = self.expr(
                        key + ("where",), inner["where"], params, object_scope=True
                    )
        return base + derived, seen

    def _overlap(self, names: set[str]) -> list[OverlapRule]:
        rules = []
        base = {n for n, s in self.data["objects"].items() if "type" in s}
        for i, r in enumerate(self.data.get("overlap_removal") or []):
            for role in ("remove", "near"):
                if r[role] not in base:
                    self.err(
                        ("overlap_removal", i, role),
                        _unknown("base object collection", r[role], base)
                        + " (overlap removal runs on base objects, before derived collections)",
                    )
            rules.append(
                OverlapRule(r["remove"], r["near"], float(r["dR"]), bool(r.get("use_rapidity")))
            )
        return rules

    def _variables(self, known: set[str]) -> dict[str, Compiled]:
        raw = self.data.get("variables") or {}
        allnames = known | set(raw)
        compiled: dict[str, Compiled] = {}
        for vname, spec in raw.items():
            src = spec["expr"] if isinstance(spec, dict) else spec
            c = self.expr(("variables", vname), src, allnames)
            if c is not None:
                compiled[vname] = c
        graph = {v: {n for n in c.names if n in raw} for v, c in compiled.items()}
        try:
            order = list(TopologicalSorter(graph).static_order())
        except CycleError as exc:
            self.err(("variables",), f"variables depend on each other in a cycle: {exc.args[1]}")
            return compiled
        return {v: compiled[v] for v in order if v in compiled}

    def _regions(self, cuts: set[str], variables: set[str]) -> list[RegionDef]:
        spec = self.data["regions"]
        steps_of: dict[str, tuple[Step, ...]] = {}

        def steps(name: str, chain: tuple[str, ...]) -> tuple[Step, ...]:
            if name in steps_of:
                return steps_of[name]
            r = spec[name]
            key: PathKey = ("regions", name)
            out: tuple[Step, ...] = (Step(ALL_EVENTS),)
            if "parent" in r:
                parent = r["parent"]
                if parent not in spec:
                    self.err(key + ("parent",), _unknown("region", parent, set(spec)))
                elif parent in chain:
                    self.err(key + ("parent",), f"regions form a cycle: {' -> '.join(chain)}")
                elif len(chain) >= MAX_PARENTS:
                    self.err(
                        key + ("parent",),
                        f"more than {MAX_PARENTS} generations of parent regions; "
                        "give a region its cuts instead of a longer chain",
                    )
                else:
                    out = steps(parent, chain + (parent,))
            for i, c in enumerate(r.get("cuts", [])):
                if c not in cuts:
                    self.err(key + ("cuts", i), _unknown("cut", c, cuts))
                out = out + (Step(c, cut=c),)
            steps_of[name] = out
            return out

        regions: list[RegionDef] = []
        taken = set(spec)
        for name, r in spec.items():
            if r.get("bins"):
                n_bins = len(r["bins"]["edges"]) - 1 + int(bool(r["bins"].get("overflow")))
                for i in range(n_bins):
                    if f"{name}_bin{i}" in taken:
                        self.err(
                            ("regions", f"{name}_bin{i}"),
                            f"region name {name}_bin{i!s} is also a bin of {name!r}; rename it",
                        )
        for name, r in spec.items():
            base = steps(name, (name,))
            bins = r.get("bins")
            if not bins:
                regions.append(RegionDef(name, base, r.get("description", "")))
                continue
            var, edges = bins["variable"], [float(e) for e in bins["edges"]]
            if var not in variables:
                self.err(
                    ("regions", name, "bins", "variable"), _unknown("variable", var, variables)
                )
            if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
                self.err(("regions", name, "bins", "edges"), "bin edges must increase")
            uppers = edges[1:] + ([float("inf")] if bins.get("overflow") else [])
            for i, (lo, hi) in enumerate(zip(edges, uppers, strict=False)):
                label = f"{_fmt(lo)} <= {var} < {_fmt(hi)}"
                regions.append(
                    RegionDef(
                        f"{name}_bin{i}",
                        base + (Step(label, bin=(var, lo, hi)),),
                        r.get("description", ""),
                        {"region": name, "variable": var, "index": i, "low": lo, "high": hi},
                    )
                )
        return regions


def _fmt(x: float) -> str:
    return "inf" if x == float("inf") else f"{x:g}"


def _unknown(what: str, name: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint}"
