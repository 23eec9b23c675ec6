"""README.md's Python example runs as written (the first ```python block of ## Python)."""
import contextlib
import io
import os
import re

import pytest

from conftest import REPO


def test_readme_python_example_runs():
    path = os.path.join(REPO, "README.md")
    if not os.path.exists(path):
        pytest.skip("not run from a clone")
    with open(path) as f:
        text = f.read()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 6
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert float(out.getvalue()) < 1e-4     # what the comment claims: W x + b is centred
