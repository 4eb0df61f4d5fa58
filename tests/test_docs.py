"""The documentation runs: every Python block of the README and of docs/, and every docstring example.

* **Pages.** The ```python blocks of ``README.md`` and of each Markdown page
  under ``docs/`` run in order, in one namespace per page (a later block may
  use the names of an earlier one), in a temporary working directory (files
  the examples write land there). A block whose first line starts with
  ``# (excerpt`` shows library code for reading: it is not run, but each of
  its lines must appear, in order, in the source it names (``# (excerpt from
  minitorch/nn/linear.py, class Linear)``), so the excerpt cannot drift from
  the code. A block written as an interactive session (``>>>`` lines) runs as
  a doctest in the page's namespace, and its printed output is compared with
  what the page shows (numbers to a relative 1e-12, so that the last digits
  of a float may differ between machines). A ```text block titled "output"
  (```` ```text title="output" ````) shows what the Python block before it
  prints, and must match it (each number to one unit of its last written
  digit, so that a machine whose rounding differs in the last place passes).
* **Docstrings.** The examples in every module of the package run as doctests
  (ELLIPSIS and NORMALIZE_WHITESPACE on; a line that genuinely cannot run
  here would be marked ``# doctest: +SKIP`` with the reason beside it).

Both run with one BLAS thread, in a temporary working directory.

Pages whose blocks take more than about two seconds are marked slow.
"""
import ast
import contextlib
import doctest
import importlib
import importlib.util
import io
import pkgutil
import re
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import minitorch

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SLOW_PAGES = {"pytorch.md"}               # imports PyTorch when it is installed (about 2.5 s)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[^\s`{]*)(?P<info>.*)$")
PYTHON = ("python", "py", "pycon")


# --- reading the pages ------------------------------------------------------------------------
def fenced_blocks(text):
    """``(line, language, info, code)`` for each fenced block; ``line`` (1-based) is its first line.

    ``info`` is the rest of the opening line (e.g. ``title="output"``). Blocks
    indented under a list item or an admonition are dedented. A fence closes
    at a line of the same character, at least as long.
    """
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], m["indent"]
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        start, i = i + 1, i + 1
        while i < len(lines) and not close.match(lines[i]):
            i += 1
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                for line in lines[start:i]]
        blocks.append((start + 1, m["lang"].lower(), m["info"].strip(), "\n".join(body) + "\n"))
        i += 1
    return blocks


def code_blocks(text):
    """``(line, code)`` for each Python block."""
    return [(line, code) for line, lang, _, code in fenced_blocks(text) if lang in PYTHON]


def is_output(lang, info):
    return lang == "text" and re.search(r"""title=["']output["']""", info) is not None


def is_excerpt(code):
    return code.lstrip().startswith("# (excerpt")


def is_session(code):
    return code.lstrip().startswith(">>>")


# --- checking printed numbers with a tolerance ----------------------------------------------
class NumberChecker(doctest.OutputChecker):
    """doctest's checker, but numbers need only agree to a relative 1e-12 (absolute 1e-15)."""

    NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")

    def check_output(self, want, got, optionflags):
        if super().check_output(want, got, optionflags):
            return True
        if "..." in want and optionflags & doctest.ELLIPSIS:
            return False
        if self.NUMBER.sub("#", " ".join(want.split())) != self.NUMBER.sub("#", " ".join(got.split())):
            return False
        a = [float(x) for x in self.NUMBER.findall(want)]
        b = [float(x) for x in self.NUMBER.findall(got)]
        return len(a) == len(b) and bool(np.allclose(a, b, rtol=1e-12, atol=1e-15))


def run_doctest(test):
    """Run one DocTest; raise AssertionError with doctest's report if an example fails."""
    report = io.StringIO()
    runner = doctest.DocTestRunner(checker=NumberChecker(), optionflags=FLAGS)
    result = runner.run(test, out=report.write, clear_globs=False)
    if result.failed:
        raise AssertionError(f"{result.failed} of {result.attempted} examples failed in "
                             f"{test.name}:\n{report.getvalue()}")
    return result


def same_output(want, got):
    """Whether printed output ``got`` matches the page's ``want``.

    Whitespace is normalised; each number of ``want`` may differ from the
    one printed by one unit of its last written digit (0.069 accepts 0.068
    to 0.070).
    """
    number = NumberChecker.NUMBER
    if number.sub("#", " ".join(want.split())) != number.sub("#", " ".join(got.split())):
        return False
    for w, g in zip(number.findall(want), number.findall(got)):
        mantissa = re.split("[eE]", w)[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(re.split("[eE]", w)[1]) if re.search("[eE]", w) else 0
        if abs(float(w) - float(g)) > 10.0 ** (exponent - decimals) * (1 + 1e-9):
            return False
    return True


# --- excerpts must match the source ------------------------------------------------------------
_EXCERPT = re.compile(r"#\s*\(excerpt from (?P<path>[\w/.-]+\.py)"
                      r"(?:,\s*(?:class|function)\s+(?P<name>[\w.]+))?")


def _source_lines(path, name):
    """The lines of ``path``, or of the class/function ``name`` (dotted for methods) in it."""
    text = (ROOT / path).read_text(encoding="utf-8")
    lines = text.splitlines()
    if not name:
        return lines
    body = ast.parse(text).body
    node = None
    for part in name.split("."):
        node = next((n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef))
                     and n.name == part), None)
        assert node is not None, f"{path} has no class or function {name!r}"
        body = node.body
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return lines[first - 1:node.end_lineno]


def check_excerpt(code):
    """Each non-blank line of the excerpt appears, in order, in the source it names.

    Lines are compared without leading and trailing whitespace; a line that
    starts with ``...`` marks lines left out.
    """
    header, *lines = code.strip("\n").splitlines()
    m = _EXCERPT.match(header.strip())
    assert m, f"excerpt header {header!r}: expected '# (excerpt from path/to/file.py, class Name)'"
    source = [s.strip() for s in _source_lines(m["path"], m["name"])]
    pos = 0
    for line in lines:
        line = line.strip()
        if not line or line.startswith("..."):
            continue
        try:
            pos = source.index(line, pos) + 1
        except ValueError:
            raise AssertionError(f"excerpt of {m['path']} ({m['name'] or 'whole file'}): line "
                                 f"{line!r} is not in the source (after the lines before it); "
                                 f"update the page") from None


# --- the tests -----------------------------------------------------------------------------------
def _page_param(path):
    name = path.relative_to(ROOT).as_posix()
    marks = [pytest.mark.slow] if path.name in SLOW_PAGES else []
    return pytest.param(path, id=name, marks=marks)


def run_page(path, root=ROOT):
    """Run every block of one page in one namespace; returns the seconds it took.

    Errors name the page relative to ``root``, and the line in the page.
    """
    text = path.read_text(encoding="utf-8")
    namespace = {"__name__": f"docs_{path.stem.replace('-', '_')}"}
    start = time.perf_counter()
    printed = None                  # what the last Python block printed
    for line, lang, info, code in fenced_blocks(text):
        where = f"{path.relative_to(root)}:{line}"
        if is_output(lang, info):
            assert printed is not None, f"{where}: an output block needs a Python block before it"
            assert same_output(code, printed), (f"{where}: the page shows\n{code}\nbut the block "
                                                f"before it printed\n{printed}")
            continue
        if lang not in PYTHON or is_excerpt(code):
            continue
        if is_session(code):
            test = doctest.DocTestParser().get_doctest(code, namespace, where, str(path), line - 1)
            run_doctest(test)
            namespace.update(test.globs)
            printed = None
        else:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                # padded so that a traceback names the page's own line numbers
                exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
            printed = out.getvalue()
            print(printed, end="")
    return time.perf_counter() - start


@pytest.mark.parametrize("path", [_page_param(p) for p in PAGES])
def test_page_code_runs(path, tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    from threadpoolctl import threadpool_limits     # installed with scikit-learn
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # One BLAS thread: the pages multiply small matrices, for which threads only
    # cost time, and a loaded machine makes them cost a lot.
    with threadpool_limits(limits=1, user_api="blas"):
        run_page(path)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_excerpts_match_the_source(path):
    for line, code in code_blocks(path.read_text(encoding="utf-8")):
        if is_excerpt(code):
            check_excerpt(code)


def _modules():
    names = ["minitorch"] + [m.name for m in pkgutil.walk_packages(minitorch.__path__, "minitorch.")]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    from threadpoolctl import threadpool_limits
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    with threadpool_limits(limits=1, user_api="blas"):
        for test in sorted(tests, key=lambda t: t.name):
            if test.filename and Path(test.filename).resolve() != Path(module.__file__).resolve():
                continue                                # found through an import: tested at home
            run_doctest(test)


# --- the test's own machinery ----------------------------------------------------------------
def test_code_blocks_finds_fences_languages_and_indented_blocks():
    text = textwrap.dedent("""\
        # Title
        ```python
        a = 1
        ```
        ```bash
        ls
        ```
        * item

            ```py
            b = a + 1
            ```
        ````python
        ```
        c = 3
        ````
        """)
    assert code_blocks(text) == [(3, "a = 1\n"), (11, "b = a + 1\n"), (14, "```\nc = 3\n")]
    assert fenced_blocks('```text title="output"\n1\n```\n') == [(2, "text", 'title="output"', "1\n")]


def test_excerpt_check_accepts_the_source_and_refuses_a_changed_line():
    check_excerpt("# (excerpt from minitorch/nn/linear.py, class Linear.backward)\n"
                  "x, w, b = self.x, self.weight, self.bias\n...\nreturn grad_h @ w.data"
                  "                           # dL/dx = Wᵀ · dL/dh\n")
    with pytest.raises(AssertionError, match="not in the source"):
        check_excerpt("# (excerpt from minitorch/nn/linear.py, class Linear)\n"
                      "w.grad += grad_h.T @ x * 2\n")
    with pytest.raises(AssertionError, match="not in the source"):      # order matters
        check_excerpt("# (excerpt from minitorch/nn/linear.py, class Linear)\n"
                      "return grad_h @ w.data                           # dL/dx = Wᵀ · dL/dh\n"
                      "x, w, b = self.x, self.weight, self.bias\n")


def test_output_blocks_are_compared_with_what_was_printed(tmp_path):
    page = tmp_path / "page.md"
    block = '```python\nprint("loss", 0.0685)\n```\n\n```text title="output"\n{}\n```\n'
    page.write_text(block.format("loss 0.069"))
    run_page(page, root=tmp_path)
    for wrong in ("loss 0.071", "accuracy 0.069", "loss 0.069 0.1"):
        page.write_text(block.format(wrong))
        with pytest.raises(AssertionError, match="the page shows"):
            run_page(page, root=tmp_path)


def test_number_checker_tolerates_the_last_digits_only():
    checker = NumberChecker()
    assert checker.check_output("2.441437658754844\n", "2.4414376587548437\n", FLAGS)
    assert not checker.check_output("2.441437658754844\n", "2.44143765875\n", FLAGS)
    assert not checker.check_output("array([1., 2.])\n", "array([1., 2., 3.])\n", FLAGS)
    assert not checker.check_output("True\n", "False\n", FLAGS)


def test_a_failing_block_names_the_page_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n\n```python\nx = 1\n```\n\n```python\n\ny = x + undefined_name\n```\n")
    with pytest.raises(NameError) as info:
        run_page(page, root=tmp_path)
    assert info.traceback[-1].lineno + 1 == 9                # the page's own line



def test_api_pages_read_the_docstrings_as_written():
    """docs/hooks/griffe_docstrings.py: the rewrites the API pages apply before griffe parses."""
    pytest.importorskip("griffe")
    spec = importlib.util.spec_from_file_location("griffe_docstrings",
                                                  ROOT / "docs" / "hooks" / "griffe_docstrings.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    text = ("Adam.\n\nFor each parameter:\n\n.. code-block:: text\n\n    m ← β₁m\n\n"
            "Args:\n    params: see :class:`Optimizer` and :class:`~minitorch.sklearn.base.BaseMLP`.\n\n"
            "Example:\n    >>> 1\n    1\n")
    assert hook.markdown_docstring(text) == (
        "Adam.\n\nFor each parameter:\n\n\n    m ← β₁m\n\n"
        "Args:\n    params: see `Optimizer` and `BaseMLP`.\n\n"
        "Examples:\n    >>> 1\n    1\n")
