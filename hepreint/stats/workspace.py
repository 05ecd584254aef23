"""Load the background workspace a likelihood spec names, validated by pyhf, patched if asked.

pyhf's workspace schema forbids extra keys, so what hepreint knows about a workspace (its kind,
the table it was built from, a calibration) lives in a sidecar ``<name>.meta.json`` carrying the
workspace's sha256: metadata can then never silently describe a different workspace.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyhf

from hepreint.analysis.schemas import validate
from hepreint.errors import LikelihoodError
from hepreint.stats.mapping import LikelihoodSpec

META_SCHEMA = "hepreint-likelihood-meta/1"


@dataclass
class Likelihood:
    spec: LikelihoodSpec
    workspace: pyhf.Workspace
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.spec.kind


def meta_path(workspace: Path) -> Path:
    return workspace.with_name(workspace.name.removesuffix(".json") + ".meta.json")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LikelihoodError(f"{path}: {what} missing; check the path in analysis.yaml") from None
    except json.JSONDecodeError as exc:
        raise LikelihoodError(
            f"{path}: line {exc.lineno} column {exc.colno}: not JSON ({exc.msg}); "
            f"re-download or rebuild the {what}"
        ) from None


def check_meta(doc: Any, name: str) -> dict[str, Any]:
    """Refuse a sidecar that is not schema-valid likelihood metadata (one line: file, JSON path,
    fix), before any of it (kind, sha256, calibration) is trusted or copied into limits.json."""
    if not isinstance(doc, dict) or doc.get("schema") != META_SCHEMA:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise LikelihoodError(
            f"{name}: not hepreint likelihood metadata (schema {got!r}, expected "
            f"{META_SCHEMA!r}); rebuild it with the workspace, or give it "
            f'"schema": "{META_SCHEMA}"'
        )
    problems = validate(doc, "likelihood-meta")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        fix = (
            "rerun 'hepreint calibrate' to write it again"
            if doc.get("kind") == "calibrated"
            else "rebuild it together with the workspace"
        )
        raise LikelihoodError(f"{name}: damaged likelihood metadata: {problems[0]}{more}; {fix}")
    return doc


def validate_workspace(spec: dict[str, Any], where: str) -> pyhf.Workspace:
    """pyhf's own schema check, turned into a one-line LikelihoodError."""
    try:
        return pyhf.Workspace(spec)
    except pyhf.exceptions.InvalidSpecification as exc:
        msg = str(exc).splitlines()[0]
        raise LikelihoodError(
            f"{where}: not a valid pyhf workspace ({msg}); use an HEPData pyhf JSON (v1.0.0)"
        ) from None


def load_patchset(path: Path) -> pyhf.PatchSet:
    doc = read_json(path, "patchset")
    try:
        return pyhf.PatchSet(doc)
    except (pyhf.exceptions.InvalidSpecification, pyhf.exceptions.InvalidPatchSet) as exc:
        msg = str(exc).splitlines()[0]
        raise LikelihoodError(
            f"{path}: not a valid pyhf patchset ({msg}); use the HEPData file"
        ) from None


def apply_patch(ws: pyhf.Workspace, patchset: pyhf.PatchSet, name: str, where: str) -> Any:
    """The patched workspace; pyhf checks the patchset's digest of the workspace too."""
    try:
        return patchset.apply(ws, name)
    except pyhf.exceptions.InvalidPatchLookup:
        names = ", ".join(p.name for p in patchset.patches[:5])
        raise LikelihoodError(
            f"{where}: patch {name!r} not in the patchset; it has {names}..."
        ) from None
    except pyhf.exceptions.PatchSetVerificationError as exc:
        raise LikelihoodError(
            f"{where}: patchset does not belong to this workspace ({exc}); use the "
            "background-only JSON from the same HEPData record"
        ) from None


def load_likelihood(spec: LikelihoodSpec) -> Likelihood:
    if spec.table is not None:
        from hepreint.stats.simplified import build_simplified, read_table

        built = build_simplified(read_table(spec.table))
        ws = validate_workspace(built.workspace, str(spec.table))
        return Likelihood(spec, ws, built.metadata)
    assert spec.workspace is not None
    ws = validate_workspace(read_json(spec.workspace, "workspace"), str(spec.workspace))
    meta_file = spec.metadata or meta_path(spec.workspace)
    metadata: dict[str, Any] = {}
    if meta_file.exists():
        metadata = check_meta(read_json(meta_file, "workspace metadata"), str(meta_file))
        if metadata.get("kind") != spec.kind:
            raise LikelihoodError(
                f"{meta_file}: kind {metadata.get('kind')!r} but analysis.yaml says "
                f"{spec.kind!r}; make them agree"
            )
        digest = metadata.get("workspace_sha256")
        if digest and digest != file_sha256(spec.workspace):
            raise LikelihoodError(
                f"{meta_file}: workspace_sha256 does not match {spec.workspace.name}; the "
                "workspace changed after its metadata was written: rebuild both"
            )
    elif spec.kind == "calibrated":
        raise LikelihoodError(
            f"{meta_file}: missing; a calibrated workspace must carry its calibration "
            "(rerun 'hepreint calibrate')"
        )
    if spec.patchset is not None:
        ps = load_patchset(spec.patchset)
        if spec.patch is None:
            raise LikelihoodError(
                f"{spec.where('patch')}: a patchset is given but no patch name; add 'patch:'"
            )
        patched = apply_patch(ws, ps, spec.patch, spec.where("patch"))
        ws = validate_workspace(dict(patched), f"{spec.patchset} patch {spec.patch}")
        metadata = {**metadata, "patch": spec.patch}
    metadata.setdefault("kind", spec.kind)
    return Likelihood(spec, ws, metadata)
