"""The files around a workspace: its ``<name>.meta.json`` sidecar (what hepreint knows about
it, tied to it by sha256) and strict JSON reading. Shared by the loader and the builders, so
neither has to import the other."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hepreint.analysis.schemas import validate
from hepreint.errors import LikelihoodError

META_SCHEMA = "hepreint-likelihood-meta/1"


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
