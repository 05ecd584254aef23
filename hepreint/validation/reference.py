"""Published cut-flows an analysis is validated against, as (region, step) → value ± error.

Every YAML file in ``analyses/<Name>/reference/`` is read and checked when loaded, so a broken
file is found even before a mapping uses it. Two formats: hepreint's ``hepreint-reference/1``
(``schemas/reference.schema.json``; cut-flows under ``tables:``) and a HEPData table as
downloaded from hepdata.net. Which table rows belong to which region and cut is stated in
``analysis.yaml`` under ``validation.tables`` (never guessed): published labels rarely equal our
cut names, and one HEPData table can hold several signal points or channels::

    validation:
      relative_tolerance: 0.2
      tables:
        - file: reference/HEPData-ins123-v1-Table_3.yaml   # a HEPData table: steps are rows
          region: single_lepton
          column: "ttH"              # which dependent variable, if there are several
          quantity: efficiency       # events | efficiency (= fraction) | relative_efficiency
          source: "HEPData ins123 v1 Table 3 (arXiv:xxxx.xxxxx Table 5)"
          trust: A
          steps: {"1 lepton": one_lepton, ">= 5 jets": ge5_jets}   # published label: our step
        - file: reference/HEPData-ins456-v3-Table_1.yaml   # steps are columns, one row per mass
          region: resolved
          row: 500                   # the independent-variable value (or bin) to compare
          quantity: efficiency
          source: "..."
          trust: A
          steps: {"4 b-tags": four_b}
        - file: reference/published.yaml                    # a hepreint-reference/1 file
          table: pred36.sm_ggF_cutflow                      # quantity/source/trust from the table
          region: resolved
          steps: {"4b": four_b, "Xhh": x_hh}

Without ``steps`` the published labels must be our step names. Published values in ``%`` are
divided by 100 (HEPData header ``units: '%'``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hepreint.analysis.schemas import validate
from hepreint.analysis.yamlfile import LocatedYAML, PathKey, load_yaml
from hepreint.errors import HepreintError, SpecError
from hepreint.export.hepdata_table import HEPDataTable, Variable, is_hepdata, parse_table
from hepreint.validation.errors import ValidationError

REFERENCE_SCHEMA = "hepreint-reference/1"
#: what a reference value is; ``fraction`` is read as ``efficiency`` (cumulative, of all events)
QUANTITIES = ("events", "efficiency", "relative_efficiency")


@dataclass(frozen=True)
class RefEntry:
    region: str
    step: str
    quantity: str  # one of QUANTITIES
    value: float
    up: float  # absolute errors (0 when none is published)
    down: float
    label: str  # the row/column label in the published table
    file: str
    source: str
    trust: str


@dataclass(frozen=True)
class ReferenceFile:
    path: Path
    kind: str  # REFERENCE_SCHEMA or "hepdata"
    doc: LocatedYAML
    hepdata: HEPDataTable | None = None

    @property
    def tables(self) -> list[dict[str, Any]]:
        return list(self.doc.data.get("tables") or []) if self.kind == REFERENCE_SCHEMA else []


@dataclass
class References:
    directory: Path
    files: list[ReferenceFile]
    entries: list[RefEntry]
    notes: list[str] = field(default_factory=list)

    def get(self, region: str, step: str) -> RefEntry | None:
        for e in self.entries:
            if e.region == region and e.step == step:
                return e
        return None


def load_reference_file(path: Path) -> ReferenceFile:
    """One file, validated; the error names the file, the line and the YAML path."""
    try:
        doc = load_yaml(path)
    except SpecError as exc:
        if _several_documents(path):
            raise ValidationError(
                f"{path}: holds several YAML documents (a HEPData submission.yaml?); "
                "keep one downloaded table per file"
            ) from None
        raise ValidationError(str(exc)) from None
    data = doc.data
    if isinstance(data, dict) and data.get("schema") == REFERENCE_SCHEMA:
        problems = validate(data, "reference", doc)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ValidationError(f"{problems[0]}{more}")
        return ReferenceFile(path, REFERENCE_SCHEMA, doc)
    if is_hepdata(data):
        try:
            table = parse_table(data, path.stem, doc)
        except HepreintError as exc:
            raise ValidationError(str(exc)) from None
        return ReferenceFile(path, "hepdata", doc, table)
    raise ValidationError(
        f"{path}: neither a hepreint reference file (add 'schema: {REFERENCE_SCHEMA}') nor a "
        "HEPData table (independent_variables/dependent_variables); move it out of reference/"
    )


def load_reference_files(directory: Path) -> list[ReferenceFile]:
    """Every ``*.yaml``/``*.yml`` in ``directory`` (other files, e.g. README.md, are skipped)."""
    if not directory.is_dir():
        return []
    paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    return [load_reference_file(p) for p in paths]


def load_references(
    analysis_dir: Path,
    validation: dict[str, Any],
    layout: dict[str, list[str]],
    where: Callable[[PathKey], str],
) -> References:
    """The reference files and the entries ``validation.tables`` maps onto ``layout``.

    ``layout`` is region → step labels of the results being validated; ``where`` turns a YAML
    path inside ``analysis.yaml`` into ``file:line: at path`` for mapping errors.
    """
    files = {f.path.resolve(): f for f in load_reference_files(analysis_dir / "reference")}
    entries: list[RefEntry] = []
    used: set[tuple[Path, str]] = set()
    for i, spec in enumerate(validation.get("tables") or []):
        key: PathKey = ("validation", "tables", i)
        path = (analysis_dir / spec["file"]).resolve()
        if path not in files:
            if not path.is_file():
                known = ", ".join(str(p.relative_to(analysis_dir.resolve())) for p in files)
                raise ValidationError(
                    f"{where(key + ('file',))}: no such file {spec['file']!r} "
                    f"in {analysis_dir}; reference files: {known or 'none'}"
                )
            files[path] = load_reference_file(path)
        rf = files[path]
        used.add((path, str(spec.get("table", ""))))

        def at(k: PathKey, key: PathKey = key) -> str:
            return where(key + k)

        for e in _map_table(rf, spec, layout, at):
            if any(o.region == e.region and o.step == e.step for o in entries):
                raise ValidationError(
                    f"{where(key)}: step {e.step!r} of region {e.region!r} has a reference "
                    "already (from an earlier validation.tables entry); map each step once"
                )
            entries.append(e)
    notes = []
    for path, rf in files.items():
        ids = [t["id"] for t in rf.tables] if rf.kind == REFERENCE_SCHEMA else [""]
        for tid in ids:
            if (path, tid) not in used:
                what = (
                    f"table {tid!r} of {rf.path.name}" if tid else f"HEPData table {rf.path.name}"
                )
                notes.append(f"{what} is not compared: no validation.tables entry maps it")
    return References(analysis_dir, list(files.values()), entries, notes)


def _map_table(
    rf: ReferenceFile,
    spec: dict[str, Any],
    layout: dict[str, list[str]],
    where: Callable[[PathKey], str],
) -> list[RefEntry]:
    region = spec["region"]
    if region not in layout:
        raise ValidationError(f"{where(('region',))}: {_unknown('region', region, list(layout))}")
    if rf.kind == REFERENCE_SCHEMA:
        cells, quantity, source, trust = _reference_table(rf, spec, where)
    else:
        cells, quantity, source, trust = _hepdata_table(rf, spec, where)
    quantity = "efficiency" if quantity == "fraction" else quantity
    steps: dict[str, str] = spec.get("steps") or {label: label for label in cells}
    out = []
    for label, step in steps.items():
        if label not in cells:
            raise ValidationError(
                f"{where(('steps', label))}: "
                f"{_unknown(f'label in {rf.path.name}', label, list(cells))}"
            )
        if step not in layout[region]:
            raise ValidationError(
                f"{where(('steps', label))}: "
                f"{_unknown(f'step of region {region!r}', step, layout[region])}"
            )
        value, up, down = cells[label]
        if value is None:
            raise ValidationError(
                f"{where(('steps', label))}: {label!r} has no number in "
                f"{rf.path.name} ('-'); leave it out of steps"
            )
        out.append(
            RefEntry(region, step, quantity, value, up, down, label, str(rf.path), source, trust)
        )
    return out


Cells = dict[str, tuple[float | None, float, float]]


def _reference_table(
    rf: ReferenceFile, spec: dict[str, Any], where: Callable[[PathKey], str]
) -> tuple[Cells, str, str, str]:
    tid = spec.get("table")
    ids = [t["id"] for t in rf.tables]
    if tid is None:
        raise ValidationError(
            f"{where(())}: {rf.path.name} is a hepreint reference file; say "
            f"which of its tables with 'table:' ({', '.join(ids) or 'it has none'})"
        )
    table = next((t for t in rf.tables if t["id"] == tid), None)
    if table is None:
        raise ValidationError(
            f"{where(('table',))}: {_unknown(f'table of {rf.path.name}', tid, ids)}"
        )
    cells: Cells = {}
    for e in table["entries"]:
        err = e.get("error", 0.0)
        up, down = (err["plus"], err["minus"]) if isinstance(err, dict) else (err, err)
        cells[str(e["step"])] = (float(e["value"]), abs(float(up)), abs(float(down)))
    quantity = spec.get("quantity", table["unit"])
    return cells, quantity, str(table["source"]), str(table["trust"])


def _hepdata_table(
    rf: ReferenceFile, spec: dict[str, Any], where: Callable[[PathKey], str]
) -> tuple[Cells, str, str, str]:
    t = rf.hepdata
    assert t is not None
    if "table" in spec:
        raise ValidationError(
            f"{where(('table',))}: {rf.path.name} is a HEPData table, which has "
            "no table ids; remove 'table:'"
        )
    if "row" in spec:  # steps are columns; one row (e.g. one mass point) is compared
        index = _row_index(t, spec["row"], rf, where)
        cells: Cells = {}
        for v in t.dependent:
            c = v.values[index]
            for name in v.names():
                cells.setdefault(name, (_float(c.value), c.up, c.down))
        units = {v.units for v in t.dependent}
    else:  # steps are rows; one column (dependent variable) is compared
        v = _column(t, spec.get("column"), rf, where)
        labels = [c.label() for c in t.independent[0].values] if t.independent else []
        cells = {
            lab: (_float(c.value), c.up, c.down) for lab, c in zip(labels, v.values, strict=True)
        }
        units = {v.units}
    if spec["quantity"] != "events" and units & {"%", "percent", "PCT"}:
        cells = {
            k: (None if x is None else x / 100, u / 100, d / 100) for k, (x, u, d) in cells.items()
        }
    return cells, spec["quantity"], spec["source"], spec["trust"]


def _row_index(t: HEPDataTable, row: float | str, rf: ReferenceFile, where: Any) -> int:
    for v in t.independent:
        for i, c in enumerate(v.values):
            if c.matches(row):
                return i
    rows = [c.label() for c in t.independent[0].values] if t.independent else []
    raise ValidationError(f"{where(('row',))}: {_unknown(f'row of {rf.path.name}', row, rows)}")


def _column(
    t: HEPDataTable, column: str | int | None, rf: ReferenceFile, where: Any
) -> Variable:
    names = [" / ".join(v.names()) for v in t.dependent]
    if column is None:
        if len(t.dependent) == 1:
            return t.dependent[0]
        raise ValidationError(
            f"{where(())}: {rf.path.name} has {len(names)} columns; choose one "
            f"with 'column:' (name, qualifier value or index): {'; '.join(names)}"
        )
    if isinstance(column, int):
        if 0 <= column < len(t.dependent):
            return t.dependent[column]
        raise ValidationError(
            f"{where(('column',))}: index {column} out of range 0-"
            f"{len(t.dependent) - 1} for {rf.path.name}"
        )
    hits = [v for v in t.dependent if column in v.names()]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise ValidationError(
            f"{where(('column',))}: {column!r} names {len(hits)} columns of "
            f"{rf.path.name}; use the column index (0-{len(names) - 1}) instead"
        )
    flat = [n for v in t.dependent for n in v.names()]
    raise ValidationError(
        f"{where(('column',))}: {_unknown(f'column of {rf.path.name}', column, flat)}"
    )


def _float(x: Any) -> float | None:
    return x if isinstance(x, float) else None


def _unknown(what: str, name: Any, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {name!r}{hint}; known: {', '.join(map(str, known)) or 'none'}"


def _several_documents(path: Path) -> bool:
    try:
        return len(list(yaml.safe_load_all(path.read_text(encoding="utf-8")))) > 1
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return False
