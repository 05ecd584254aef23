"""Broken analysis files get one clear refusal: a SpecError naming the file and the place.

The corpus is made from ``analyses/ttHbb``: each case is one small edit of its analysis.yaml
(bad types, unknown keys, duplicates, aliases, non-finite numbers, forbidden expressions, cycles,
bad bins, unknown names, huge input, not-YAML-at-all). Every case must raise
:class:`hepreint.SpecError` (never another exception) whose first line names the file; cases with
a place also name it (YAML path or line). A few go through the CLI (exit 2, ``hepreint: error:``
lines, no traceback), the alias bomb under a 1 GB address-space limit, and hypothesis throws
random token soup at the expression compiler.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hepreint
from hepreint.analysis.expr import (
    MAX_NESTING,
    ExpressionError,
    Scope,
    compile_expression,
)
from hepreint.analysis.yamlfile import MAX_ALIAS_NODES, MAX_DEPTH

REPO = Path(__file__).resolve().parent.parent
TTHBB = REPO / "analyses" / "ttHbb"
TEXT = (TTHBB / "analysis.yaml").read_text(encoding="utf-8")

Edit = Callable[[str], "str | bytes"]


def sub(old: str, new: str, count: int = 1) -> Edit:
    """Replace ``old`` (which must be in the file) by ``new``."""

    def edit(text: str) -> str:
        assert old in text, f"corpus out of date: {old!r} not in ttHbb/analysis.yaml"
        return text.replace(old, new, count)

    return edit


def chain(*edits: Edit) -> Edit:
    def edit(text: str) -> str | bytes:
        for e in edits:
            out = e(text)
            assert isinstance(out, str)
            text = out
        return text

    return edit


def append(extra: str) -> Edit:
    return lambda text: text + extra


def whole(content: str | bytes) -> Edit:
    return lambda text: content


CUT = '  ge5_jets:\n    expr: "n_jets >= 5"\n'
CUT_SOURCE = (
    '    source: "arXiv:2407.10904 Sec. 4, single-lepton preselection (trust C)"\n'
)


def cut(expr: str) -> Edit:
    """Replace the expression of the cut ``ge5_jets``."""
    return sub('expr: "n_jets >= 5"', f"expr: {expr}")


BOMB = "networks:\n" + "".join(
    f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9 if i else ['lol'] * 9)}]\n" for i in range(10)
)

#: (case id, edit, place the message must name: a YAML path, or ``:LINE`` of the file)
CASES: list[tuple[str, Edit, str | None]] = [
    # --- bad types and values (schema)
    ("type-pt-min-string", sub("pt_min: 25", 'pt_min: "x"'), "objects.jets.pt_min"),
    ("type-R-list", sub("R: 0.4", "R: [0.4]"), "objects.jets.R"),
    ("value-lumi-negative", sub("luminosity_fb: 140", "luminosity_fb: -1"), "luminosity_fb"),
    ("enum-experiment", sub("experiment: ATLAS", "experiment: ATLASS"), "metadata.experiment"),
    ("schema-version", sub("schema: hepreint-analysis/1", "schema: hepreint-analysis/2"), "schema"),
    ("missing-metadata-key", sub("  experiment: ATLAS\n", ""), "at metadata"),
    ("missing-jet-R", sub("    R: 0.4\n", ""), "objects.jets"),
    ("cut-mapping-without-expr", sub('    expr: "n_jets >= 5"\n', ""), "cuts.ge5_jets"),
    ("cut-as-list", sub('    expr: "n_jets >= 5"\n', "    expr: [n_jets]\n"), "cuts.ge5_jets.expr"),
    ("region-without-cuts", sub("    cuts: [two_leptons", "    cut: [two_leptons"), "dilepton"),
    ("bad-identifier", sub("cuts:\n", 'cuts:\n  5-jets: "n_jets >= 5"\n'), "cuts"),
    # --- unknown keys
    ("unknown-top-key", append("extra: 1\n"), "extra"),
    ("unknown-object-key", sub("pt_min: 25", "ptmin: 25"), "objects.jets.ptmin"),
    (
        "unknown-region-key",
        sub("    parent: single_lepton\n", "    parnet: single_lepton\n"),
        "parnet",
    ),
    # --- duplicates
    ("duplicate-cut", sub("cuts:\n", 'cuts:\n  ge5_jets: "n_jets >= 6"\n'), "cuts.ge5_jets"),
    (
        "duplicate-object-key",
        sub("pt_min: 25", "pt_min: 25\n    pt_min: 30"),
        "objects.jets.pt_min",
    ),
    ("duplicate-top-key", append("validation:\n  relative_tolerance: 0.5\n"), "validation"),
    # --- aliases
    ("alias-bomb", sub("likelihood:\n", BOMB + "likelihood:\n"), "alias"),
    ("alias-recursive", sub("likelihood:\n", "networks: &n {a: [*n]}\nlikelihood:\n"), "networks"),
    ("alias-undefined", sub("pt_min: 25", "pt_min: *threshold"), "objects.jets.pt_min"),
    ("merge-key", sub("    type: muon\n", "    <<: {type: muon}\n"), "objects.muons"),
    # --- non-finite and absurd numbers
    ("nan-pt-min", sub("pt_min: 25", "pt_min: .nan"), "objects.jets.pt_min"),
    ("inf-eta", sub("abs_eta_max: 2.5\n    flavour", "abs_eta_max: .inf\n    flavour"), "jets"),
    ("inf-bin-edge", sub("edges: [0, 60,", "edges: [0, .inf,"), "bins.edges[1]"),
    ("minus-inf-dR", sub("dR: 0.2,", "dR: -.inf,"), "overlap_removal[0].dR"),
    ("nan-cut", sub(CUT + CUT_SOURCE, "  ge5_jets: .nan\n"), "cuts.ge5_jets"),
    ("nan-parameter", sub("objects:\n", "parameters:\n  mX: {default: .nan}\nobjects:\n"), "mX"),
    ("huge-int", sub("pt_min: 25", "pt_min: 1" + "0" * 400), "objects.jets.pt_min"),
    ("overflow-literal", cut('"n_jets >= 1e999"'), "cuts.ge5_jets"),
    # --- expressions
    ("expr-dunder-import", cut("\"__import__('os').system('true')\""), "cuts.ge5_jets"),
    ("expr-class-attribute", cut('"jets[0].__class__ == 1"'), "cuts.ge5_jets"),
    ("expr-lambda", cut('"(lambda: 1)() > 0"'), "cuts.ge5_jets"),
    ("expr-comprehension", cut('"count([j for j in jets]) > 0"'), "cuts.ge5_jets"),
    ("expr-keyword", cut('"count(jets, axis=1) > 0"'), "cuts.ge5_jets"),
    ("expr-unknown-function", cut('"cnt(jets) >= 5"'), "cuts.ge5_jets"),
    ("expr-wrong-arity", cut('"count(jets, jets) >= 5"'), "cuts.ge5_jets"),
    ("expr-unknown-name", cut('"n_jet >= 5"'), "cuts.ge5_jets"),
    ("expr-syntax", cut('"n_jets >="'), "cuts.ge5_jets"),
    ("expr-string-constant", cut("\"n_jets == 'five'\""), "cuts.ge5_jets"),
    ("expr-constant-overflow", cut('"n_jets > 9**9**9"'), "cuts.ge5_jets"),
    ("expr-division-by-zero", cut('"n_jets > 1/0"'), "cuts.ge5_jets"),
    ("expr-deep", cut('"' + "-(" * 150 + "n_jets" + ")" * 150 + ' > 0"'), "cuts.ge5_jets"),
    ("expr-huge", cut('"n_jets' + " + n_jets" * 20_000 + ' > 0"'), "cuts.ge5_jets"),
    ("expr-null-byte", cut('"n_jets\\0 > 0"'), "cuts.ge5_jets"),
    ("expr-where-bad-attr", sub('where: "btag70"', 'where: "layout == 5"'), "bjets.where"),
    ("weight-unknown-name", sub(CUT, CUT + "    weight: tag_prob\n"), "cuts.ge5_jets.weight"),
    # --- cycles
    (
        "variable-cycle",
        chain(sub('n_jets: "count(jets)"', 'n_jets: "n_b + 1"'), sub('"count(bjets)"', '"n_jets"')),
        "variables",
    ),
    (
        "region-parent-cycle",
        sub("    cuts: [one_lepton, ge5_jets, ge3_b_1l]", "    parent: SR_1l"),
        "parent",
    ),
    (
        "region-self-parent",
        sub("    parent: single_lepton\n", "    parent: SR_1l\n"),
        "SR_1l.parent",
    ),  # fmt: skip
    (
        "region-unknown-parent",
        sub("    parent: single_lepton\n", "    parent: singel_lepton\n"),
        "SR_1l.parent",
    ),  # fmt: skip
    # --- bins
    ("bins-decreasing", sub("edges: [0, 60,", "edges: [0, 600,"), "bins.edges"),
    ("bins-one-edge", sub("edges: [0, 60, 120, 200, 300, 450]", "edges: [0]"), "bins.edges"),
    ("bins-unknown-variable", sub("variable: pth_reco", "variable: pth_rec"), "bins.variable"),
    ("bins-string-edge", sub("edges: [0, 60,", "edges: [0, sixty,"), "bins.edges[1]"),
    # --- unknown collection / cut names
    ("unknown-from", sub("from: jets", "from: jetz"), "objects.bjets.from"),
    ("unknown-merge", sub("merge: [electrons, muons]", "merge: [electrons, muonz]"), "merge[1]"),
    (
        "unknown-overlap",
        sub("{remove: jets, near: electrons", "{remove: jets, near: elecs"),
        "overlap_removal[0].near",
    ),  # fmt: skip
    ("unknown-collection-in-expr", sub('"count(jets)"', '"count(jetz)"'), "variables.n_jets"),
    ("unknown-cut-in-region", sub("ge5_jets, ge3_b_1l]", "ge5_jet, ge3_b_1l]"), "cuts[1]"),
    # --- not an analysis file at all
    ("empty-file", whole(""), ":1:"),
    ("binary-garbage", whole(bytes(range(256)) * 4), None),
    ("top-level-list", whole("- schema: hepreint-analysis/1\n- metadata: {}\n"), ":1:"),
    ("top-level-scalar", whole("just some text\n"), ":1:"),
    ("tabs", sub("    pt_min: 25", "\tpt_min: 25"), None),
    (
        "latin-1",
        lambda t: t.replace("ΔR", "dR").replace("2.47", "2.47 # é").encode("latin-1"),
        None,
    ),  # fmt: skip
    ("utf-16", lambda t: t.encode("utf-16"), ":1:"),
    ("two-documents", append("---\nschema: x\n"), None),
    ("python-tag", sub("pt_min: 25", "pt_min: !!python/object/apply:os.system [true]"), None),
    ("control-character", sub("pt_min: 25", "pt_min: 25\x07"), None),
    (
        "deep-yaml",
        sub("likelihood:\n", "networks: " + "[" * 500 + "]" * 500 + "\nlikelihood:\n"),
        "networks",
    ),  # fmt: skip
    ("unhashable-key", sub("    pt_min: 25", "    ? [pt_min]\n    : 25"), None),
    ("bad-date", sub("  title:", "  date: 2024-13-45\n  title:"), None),
]


def _write(root: Path, name: str, edit: Edit) -> Path:
    """A copy of analyses/ttHbb with the edited analysis.yaml; returns the directory."""
    d = root / name
    shutil.copytree(TTHBB, d)
    content = edit(TEXT)
    assert content != TEXT, f"{name}: edit did nothing"
    target = d / "analysis.yaml"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    return d


@pytest.mark.parametrize("name, edit, place", CASES, ids=[c[0] for c in CASES])
def test_broken_analysis_is_refused_in_one_message(
    tmp_path: Path, name: str, edit: Edit, place: str | None
) -> None:
    d = _write(tmp_path, name, edit)
    with pytest.raises(hepreint.SpecError) as info:
        hepreint.load_analysis(d)
    msg = str(info.value)
    first = msg.splitlines()[0]
    assert str(d / "analysis.yaml") in first, msg
    if place is not None:
        assert place in msg, msg
    assert "Traceback" not in msg
    assert len(msg) < 2000, f"message too long ({len(msg)} chars)"


def test_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


# --- specific promises, with the exact wording the user sees


def _err(tmp_path: Path, edit: Edit, name: str = "bad") -> str:
    with pytest.raises(hepreint.SpecError) as info:
        hepreint.load_analysis(_write(tmp_path, name, edit))
    return str(info.value)


def test_duplicate_cut_names_both_lines(tmp_path: Path) -> None:
    msg = _err(tmp_path, sub("cuts:\n", 'cuts:\n  ge5_jets: "n_jets >= 6"\n'))
    first = TEXT.splitlines().index("cuts:") + 2
    second = TEXT.splitlines().index("  ge5_jets:") + 2
    assert f"duplicate key 'ge5_jets' (lines {first} and {second})" in msg
    assert msg.count("\n") == 0, "one line"


def test_cut_mapping_without_expr_says_what_is_missing(tmp_path: Path) -> None:
    msg = _err(tmp_path, sub('    expr: "n_jets >= 5"\n', ""))
    assert "at cuts.ge5_jets: missing 'expr' or 'weight'" in msg
    assert "not valid under" not in msg and "is not of type" not in msg


def test_three_problems_in_one_cut_mapping_are_all_reported(tmp_path: Path) -> None:
    edit = sub(CUT, "  ge5_jets:\n    expr: [1]\n    weight: [2]\n    description: 3\n")
    msg = _err(tmp_path, edit)
    assert msg.splitlines()[0].endswith("3 problem(s) in the analysis specification"), msg
    for where in ("cuts.ge5_jets.expr", "cuts.ge5_jets.weight", "cuts.ge5_jets.description"):
        assert f"at {where}:" in msg


def test_three_unknown_keys_each_get_a_line(tmp_path: Path) -> None:
    msg = _err(tmp_path, sub("pt_min: 25", "pt_min: 25\n    ptmin: 1\n    foo: 2\n    bar: 3"))
    assert msg.splitlines()[0].endswith("3 problem(s) in the analysis specification"), msg
    assert "(did you mean 'pt_min'?)" in msg


def test_non_finite_number_message_names_the_fix(tmp_path: Path) -> None:
    msg = _err(tmp_path, sub("edges: [0, 60,", "edges: [0, .inf,"))
    assert "inf is not a finite number" in msg and "overflow: true" in msg


def test_long_flat_sum_is_accepted(tmp_path: Path) -> None:
    """The RecursionError of issue #4: a 600-term sum in a variable compiles and loads."""
    d = _write(tmp_path, "long", sub('"count(jets)"', '"count(jets)' + " + n_lep" * 600 + '"'))
    ana = hepreint.load_analysis(d)
    assert "n_jets" in ana.variables


def test_deep_nesting_message(tmp_path: Path) -> None:
    msg = _err(tmp_path, cut('"' + "-(" * 150 + "n_jets" + ")" * 150 + ' > 0"'))
    assert f"at cuts.ge5_jets: nested more than {MAX_NESTING} levels; split it into variables" in (
        msg
    )


def test_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    msg = _err(tmp_path, sub("likelihood:\n", BOMB + "likelihood:\n"))
    assert f"more than {MAX_ALIAS_NODES} nodes" in msg and msg.count("\n") == 0


def test_yaml_nesting_limit_is_reported(tmp_path: Path) -> None:
    msg = _err(
        tmp_path, sub("likelihood:\n", "networks: " + "[" * 100 + "]" * 100 + "\nlikelihood:\n")
    )
    assert f"nested more than {MAX_DEPTH} levels" in msg


def test_oversized_file_is_refused_without_reading(tmp_path: Path) -> None:
    msg = _err(tmp_path, append("# " + "x" * (9 * 1024 * 1024) + "\n"))
    assert "bytes, more than the" in msg


# --- through the CLI: exit 2, every stderr line 'hepreint: error:', no traceback

CLI_CASES = ["duplicate-cut", "nan-pt-min", "expr-class-attribute", "binary-garbage", "tabs"]


def _inspect(directory: Path, limit_memory: bool = False) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "hepreint", "inspect", str(directory)],
        capture_output=True,
        text=True,
        timeout=20,
        env=env,
        preexec_fn=limit if limit_memory else None,  # noqa: PLW1509
        check=False,
    )


def _assert_cli_refusal(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines and all(line.startswith("hepreint: error:") for line in lines), r.stderr


def test_cli_refuses_broken_files(tmp_path: Path) -> None:
    by_name = {c[0]: c for c in CASES}
    procs = []
    for name in CLI_CASES:
        d = _write(tmp_path, name, by_name[name][1])
        procs.append(_inspect(d))
    for r in procs:
        _assert_cli_refusal(r)


def test_cli_alias_bomb_under_memory_limit(tmp_path: Path) -> None:
    """The billion-laughs file, in 1 GB of address space and 20 s (it used to take 4.7 GB)."""
    d = _write(tmp_path, "bomb", sub("likelihood:\n", BOMB + "likelihood:\n"))
    r = _inspect(d, limit_memory=True)
    _assert_cli_refusal(r)
    assert "alias" in r.stderr


# --- property-based: the expression compiler never fails with anything but ExpressionError

KNOWN = frozenset({"n_jets", "n_b", "ht", "jets", "bjets", "leptons"})
TOKENS = [
    *sorted(KNOWN), "n_jet", "x", "__class__", "_x", "pi", "True", "None", "count", "mass",
    "sum", "delta_r", "abs", "where", "fill", "lambda", "for", "in", "if", "else", "import",
    "0", "1", "2.5", "1e999", "9", "-1", "10000000000000000000000", "'a'", '"jets"', "...",
    "+", "-", "*", "/", "**", "%", "//", "@", "<", "<=", "==", "!=", ">", ">=", "and", "or",
    "not", "is", "(", ")", "[", "]", "{", "}", ",", ".", ":", ":=", "=", "pt", "eta", "flavour",
    "\\", "#", "\n", "\x00", "\t",
]  # fmt: skip


def _check(source: str, object_scope: bool = False) -> None:
    try:
        compile_expression(source, KNOWN, object_scope=object_scope)
    except ExpressionError:
        pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.booleans())
def test_token_soup_compiles_or_raises_expression_error(tokens: list[str], scope: bool) -> None:
    _check(" ".join(tokens), scope)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_compiles_or_raises_expression_error(text: str) -> None:
    _check(text)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["+", "-", "*", "and", "or", "<", "**"]), min_size=1, max_size=3),
    st.integers(min_value=1, max_value=3000),
    st.integers(min_value=0, max_value=250),
)
def test_long_chains_and_deep_nesting(ops: list[str], length: int, depth: int) -> None:
    """Chains of any length compile (or get a message); nesting beyond the limit is refused."""
    body = " ".join(f"{ops[i % len(ops)]} n_jets" for i in range(length))
    source = "-(" * depth + "n_jets " + body + ")" * depth
    try:
        compile_expression(source, KNOWN)
    except ExpressionError as exc:
        assert "nested" in str(exc) or "split it into variables" in str(exc), exc
    else:
        assert depth <= MAX_NESTING


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=1500))
def test_long_sum_evaluates_like_a_product(n: int) -> None:
    c = compile_expression("x" + " + x" * (n - 1), {"x"})
    x = np.arange(4.0)
    assert np.array_equal(c(Scope({"x": x})), n * x)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_as_yaml_raise_spec_error(tmp_path_factory: pytest.TempPathFactory,
                                                data: bytes) -> None:  # fmt: skip
    d = tmp_path_factory.mktemp("rnd")
    (d / "analysis.yaml").write_bytes(data)
    with pytest.raises(hepreint.SpecError):
        hepreint.load_analysis(d)
