"""The README's Python examples run as written, so that they cannot rot.

Every ```python block of README.md runs, in order, in one namespace (as a reader pasting them
into one session would), in a scratch directory that sees the repository's ``analyses``,
``examples`` and ``tests/specs`` at the paths the README uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of each ```python block."""
    return [(text[: m.start(1)].count("\n") + 1, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_block_finder_sees_the_api_examples() -> None:
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    code = "\n".join(c for _, c in blocks)
    for needed in ("to_hist(", "to_table(", "read_events(", ".evaluate(", "hepreint.run("):
        assert needed in code, f"the README's Python examples lost {needed}"


@pytest.mark.slow  # about 12 s: a run, pyhf limits, all exports, a two-analysis pass
def test_readme_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("analyses", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "specs").symlink_to(ROOT / "tests" / "specs")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    for line, code in python_blocks((ROOT / "README.md").read_text(encoding="utf-8")):
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)  # noqa: S102
        except Exception as exc:
            pytest.fail(f"README.md example at line {line} fails: {type(exc).__name__}: {exc}")
    assert (tmp_path / "out" / "results.json").is_file()
    assert any((tmp_path / "exported").iterdir())
