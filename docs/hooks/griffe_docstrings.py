"""A griffe extension for the API pages: read minitorch's docstrings as the project writes them.

The docstrings follow the project's style guide — Google-style ``Args:``,
``Returns:`` and ``Raises:`` sections, a doctest under ``Example:`` — with a
few reStructuredText habits from PyTorch's docstrings. Before griffe parses a
docstring this rewrites, for the API pages only:

* an ``Example:`` heading (singular) to ``Examples:``, the heading griffe's
  Google-style parser knows, so the ``>>>`` lines show as a Python session
  instead of running text;
* a ``.. code-block:: text`` directive to nothing: the indented block under
  it is then a Markdown code block;
* ``:class:`Name``` (and ``:func:``, ``:meth:``, ``:mod:``, ``:attr:``) to
  ```Name```, dropping a leading ``~`` and keeping the last dotted part.

The package's own text is not changed; ``help()`` shows it as written.
"""
import re

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_CODE_BLOCK = re.compile(r"^[ \t]*\.\. code-block::[ \t]*\w*[ \t]*\n(?:[ \t]*\n)?", re.MULTILINE)
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|obj|data|exc):`~?([\w.]+)`")


def markdown_docstring(text):
    """The docstring ``text`` with the rewrites above."""
    text = _EXAMPLE.sub(r"\1Examples:", text)
    text = _CODE_BLOCK.sub("\n", text)
    return _ROLE.sub(lambda m: f"`{m[1].rsplit('.', 1)[-1]}`", text)


class MinitorchDocstrings(griffe.Extension):
    """Apply :func:`markdown_docstring` to every docstring before it is parsed."""

    def on_object(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
