"""limits.json, validation.json and the likelihood's .meta.json: versioned schemas, both ways.

Each document is produced by the real code on the shipped example (one run, one limits fit, one
calibration of a copy of ttHbb: ~5 s in all), must validate, and a damaged copy of it (a
required field removed, a wrong type, a wrong ``schema`` id) must be refused where it is read,
with one line that names the file and the JSON path.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hepreint
from hepreint.analysis.schemas import load_schema, validate
from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.errors import HepreintError
from hepreint.export._common import check_limits, load_limits
from hepreint.stats import calibrate, compute_limits, likelihood_spec, load_likelihood
from hepreint.stats import limits as limits_mod
from hepreint.stats.limit_points import read_limit_points
from hepreint.stats.limits import LimitResult
from hepreint.stats.simplified import BuiltWorkspace
from hepreint.stats.workspace import META_SCHEMA
from hepreint.validation import validate as validate_analysis
from hepreint.validation import write_outputs
from hepreint.validation.compare import Comparison, Row
from hepreint.validation.report import SCHEMA_ID as VALIDATION_SCHEMA_ID
from hepreint.validation.report import load_validation

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"
SHIPPED_META = TTH / "likelihood" / "workspace.meta.json"


@dataclasses.dataclass
class Written:
    analysis: Analysis
    results: Path
    limits: LimitResult
    limits_json: Path
    validation_json: Path


@pytest.fixture(scope="module")
def written(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Written:
    ana = hepreint.load_analysis(TTH)
    res = hepreint.run(ana, [str(example_sample)], hepreint.RunOptions(seed=1))
    out = tmp_path_factory.mktemp("docs")
    results = res.write(out)
    lim = compute_limits(res.to_dict(), ana, per_region=True)
    comparison = validate_analysis(ana, res.to_dict())
    paths = write_outputs(comparison, out / "validation", str(results), plot=False)
    return Written(ana, results, lim, lim.write(out), paths["json"])


@pytest.fixture(scope="module")
def calibrated_copy(written: Written, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ttHbb whose workspace and .meta.json are rewritten by the calibration."""
    d = tmp_path_factory.mktemp("cal") / "ttHbb"
    shutil.copytree(TTH, d)
    doc = json.loads(written.results.read_text())
    ws = likelihood_spec(load_analysis(d)).workspace
    assert ws is not None
    calibrate(doc, load_analysis(d)).built.write(ws)
    return d


def read(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


# ---------------------------------------------------------------- ids


def test_schema_ids_match_what_the_writers_put_in(written: Written) -> None:
    comparison = Comparison("x", None, [], [], [])
    for name, writer_id in [
        ("limits", limits_mod.SCHEMA_ID),
        ("validation", VALIDATION_SCHEMA_ID),
        ("likelihood-meta", META_SCHEMA),
    ]:
        schema = load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(f"/{name}.schema.json")
        assert schema["properties"]["schema"] == {"const": writer_id}
        assert "schema" in schema["required"] and schema["additionalProperties"] is False
    assert limits_mod.SCHEMA_ID == "hepreint-limits/1" == read(written.limits_json)["schema"]
    assert VALIDATION_SCHEMA_ID == "hepreint-validation/1" == comparison.to_dict()["schema"]
    assert read(written.validation_json)["schema"] == VALIDATION_SCHEMA_ID
    assert META_SCHEMA == "hepreint-likelihood-meta/1" == read(SHIPPED_META)["schema"]


# ---------------------------------------------------------------- as written


def test_written_limits_validate_and_read_back(written: Written) -> None:
    doc = read(written.limits_json)
    assert validate(doc, "limits") == []
    assert doc["regions"] and doc["regions"][0]["s95_exp"] is not None  # per-region fits ran
    assert set(load_limits(written.limits_json)) == {r["region"] for r in doc["regions"]}


def test_limits_without_a_fit_validate(written: Written, tmp_path: Path) -> None:
    """No fit (too little signal): every limit is null, as the writer writes it."""
    empty = dataclasses.replace(written.limits, cls_obs=None, cls_exp=None, mu_limit_obs=None,
                                mu_limit_exp=None, xsec_limit_obs_fb=None, xsec_limit_exp_fb=None,
                                best_expected_region=None, signal_xsec_fb=None)  # fmt: skip
    assert validate(read(empty.write(tmp_path)), "limits") == []
    inf = dataclasses.replace(written.limits, mu_limit_obs=float("inf"))
    assert read(inf.write(tmp_path))["mu_limit_obs"] is None  # JSON has no inf: null


def test_written_validation_validates_and_reads_back(written: Written) -> None:
    doc = read(written.validation_json)
    assert validate(doc, "validation") == []
    assert doc["status"] == "nothing to compare" and doc["rows"]
    assert load_validation(written.validation_json.parent) == doc


def test_shipped_and_calibrated_meta_validate(calibrated_copy: Path) -> None:
    assert validate(read(SHIPPED_META), "likelihood-meta") == []
    meta = calibrated_copy / "likelihood" / "workspace.meta.json"
    assert validate(read(meta), "likelihood-meta") == []
    lh = load_likelihood(likelihood_spec(load_analysis(calibrated_copy)))
    assert lh.metadata["calibration"]["target"]["id"] == "significance_exp"


def test_written_simplified_meta_validates(tmp_path: Path) -> None:
    from hepreint.stats import build_simplified

    channel = {"background": [20.0], "background_uncertainty": [3.0], "observed": [22]}
    table = {"source": "toy (test)", "channels": {"A": channel}}
    _, meta = build_simplified(table).write(tmp_path / "ws.json")
    assert validate(read(meta), "likelihood-meta") == []


# ---------------------------------------------------------------- writers refuse bad documents


def test_writers_refuse_what_fails_the_schema(written: Written, tmp_path: Path) -> None:
    bad_limits = dataclasses.replace(written.limits, luminosity_fb=-1.0)
    with pytest.raises(HepreintError, match="internal error: limits fail their schema"):
        bad_limits.write(tmp_path)
    row = Row("SR", "all", "bogus", 1.0, 0.0)
    with pytest.raises(HepreintError, match="internal error: validation report fails its schema"):
        write_outputs(Comparison("x", None, [row], [], []), tmp_path, plot=False)
    built = BuiltWorkspace({"channels": []}, {"schema": META_SCHEMA})  # no kind
    with pytest.raises(HepreintError, match="internal error: likelihood metadata fail their"):
        built.write(tmp_path / "ws.json")
    assert not (tmp_path / "limits.json").exists() and not (tmp_path / "ws.json").exists()
    assert not (tmp_path / "validation.json").exists()


# ---------------------------------------------------------------- readers refuse damage

Damage = Callable[[dict[str, Any]], None]


def _drop(key: str) -> Damage:
    return lambda d: d.pop(key)


def _set(path: tuple[str | int, ...], value: Any) -> Damage:
    def f(d: dict[str, Any]) -> None:
        node: Any = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value

    return f


LIMITS_DAMAGE = [
    ("removed", _drop("likelihood_kind"), "(top level)", "'likelihood_kind' is a required"),
    ("type", _set(("mu_limit_exp", "median"), "0.5"), "mu_limit_exp.median", "not of type"),
    ("id", _set(("schema",), "hepreint-limits/2"), "schema", "not a hepreint limits file"),
]


def _damaged(src: Path, tmp: Path, damage: Damage) -> Path:
    doc = copy.deepcopy(read(src))
    damage(doc)
    p = tmp / src.name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def _one_line(exc: pytest.ExceptionInfo[HepreintError], path: Path, *words: str) -> None:
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"{path}: ")
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize(("kind", "damage", "where", "what"), LIMITS_DAMAGE)
def test_damaged_limits_refused_by_every_reader(
    written: Written, tmp_path: Path, kind: str, damage: Damage, where: str, what: str
) -> None:
    p = _damaged(written.limits_json, tmp_path, damage)
    readers: list[Callable[[], Any]] = [
        lambda: load_limits(p),
        lambda: read_limit_points([p], "mX"),
    ]
    for reader in readers:
        with pytest.raises(HepreintError) as exc:
            reader()
        _one_line(exc, p, what, *(() if kind == "id" else (f"at {where}:", "hepreint limits")))


def test_damaged_regions_refused_on_export_but_hand_written_limits_accepted(
    written: Written, tmp_path: Path
) -> None:
    p = _damaged(written.limits_json, tmp_path, _set(("regions", 0, "raw"), "twenty"))
    with pytest.raises(HepreintError) as exc:
        load_limits(p)
    _one_line(exc, p, "at regions[0].raw:", "not of type 'integer'")
    no_id = _damaged(written.limits_json, tmp_path, _drop("schema"))
    with pytest.raises(HepreintError, match="not a hepreint limits file"):
        load_limits(no_id)
    with pytest.raises(HepreintError, match="damaged limits file"):  # in memory: same check
        check_limits({**read(written.limits_json), "poi": 3})
    hand = tmp_path / "hand.json"
    hand.write_text(json.dumps({"single_lepton": {"s95_obs": 3000, "s95_exp": 2500}}))
    assert load_limits(hand) == {"single_lepton": {"s95_obs": 3000.0, "s95_exp": 2500.0}}


@pytest.mark.parametrize(
    ("kind", "damage", "where", "what"),
    [
        ("removed", _drop("summary"), "(top level)", "'summary' is a required property"),
        ("type", _set(("rows", 0, "ours"), "1.0"), "rows[0].ours", "not of type"),
        ("id", _set(("schema",), "hepreint-results/1"), "schema", "not a hepreint validation"),
    ],
)
def test_damaged_validation_refused(
    written: Written, tmp_path: Path, kind: str, damage: Damage, where: str, what: str
) -> None:
    p = _damaged(written.validation_json, tmp_path, damage)
    with pytest.raises(HepreintError) as exc:
        load_validation(p)
    _one_line(exc, p, what, *(() if kind == "id" else (f"at {where}:", "hepreint validate")))


@pytest.mark.parametrize(
    ("kind", "damage", "where", "what"),
    [
        ("removed", _drop("workspace_sha256"), "(top level)", "'workspace_sha256' is a required"),
        ("nested", lambda d: d["calibration"]["target"].pop("id"), "calibration.target", "'id'"),
        (
            "type",
            _set(("calibration", "solved", "s_over_b"), "0.015"),
            "calibration.solved.s_over_b",
            "not of type 'number'",
        ),
        ("id", _set(("schema",), "hepreint-likelihood-meta/2"), "schema", "not hepreint likeli"),
    ],
)
def test_damaged_meta_refused_when_the_likelihood_loads(
    calibrated_copy: Path, tmp_path: Path, kind: str, damage: Damage, where: str, what: str
) -> None:
    d = tmp_path / "ttHbb"
    shutil.copytree(calibrated_copy, d)
    meta = d / "likelihood" / "workspace.meta.json"
    doc = read(meta)
    damage(doc)
    meta.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(HepreintError) as exc:
        load_likelihood(likelihood_spec(load_analysis(d)))
    _one_line(exc, meta, what, *(() if kind == "id" else (f"at {where}:", "hepreint calibrate")))
