"""examples/make_figures.py: one command regenerates every figure the documentation shows."""
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "examples") not in sys.path:  # `import _common`, as `python examples/<name>.py` finds it
    sys.path.insert(0, str(ROOT / "examples"))


def load():
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "examples" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_figure_the_docs_show_is_made_by_some_example():
    shown = set()
    for page in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        shown |= set(re.findall(r"\]\((?:\.\./)*img/([\w.-]+\.png)\)", page.read_text(encoding="utf-8")))
    made = {f for _, _, figures in load().FIGURES.values() for f in figures}
    assert shown, "no figure found in the docs: the pattern is out of date"
    assert shown <= made, f"figures shown in the docs that no example makes: {sorted(shown - made)}"
    assert made <= {p.name for p in (ROOT / "docs" / "img").glob("*.png")}


def test_quick_run_writes_the_pngs(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    made = load().main(["--quick", "--only", "iris,manual_backprop", "--out", str(tmp_path)])
    assert made == {"iris": [str(tmp_path / "iris_history.png")],
                    "manual_backprop": [str(tmp_path / "manual_backprop_loss.png")]}
    for paths in made.values():
        for path in paths:
            assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_example_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        load().main(["--only", "no_such_example", "--out", str(tmp_path)])
    assert "unknown example(s) ['no_such_example']" in capsys.readouterr().err
