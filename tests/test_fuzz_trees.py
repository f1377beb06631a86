"""Fuzz: hypothesis-generated file trees through the CLI (issue 18).

Trees mix migratable jobs (BOM, CRLF, a latin-1 cookie), random bytes, parser-crashing nesting,
broken and valid notebooks, an unknown codec, read-only files and symlinks (to a sibling, or to
nothing). After every run each file is byte-identical or exactly its migration, no temporary file
is left, and the exit code is the documented one. Few examples by default, so CI stays fast
(ESTIMIG_FUZZ_EXAMPLES raises it).
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import nbformat
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimig.cli import main

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "fixtures" / "core" / "basic"
BEFORE = (BASIC / "before.py").read_text(encoding="utf-8")
AFTER = (BASIC / "after.py").read_text(encoding="utf-8")
EXAMPLES = int(os.environ.get("ESTIMIG_FUZZ_EXAMPLES", "12"))
COOKIE = "# -*- coding: latin-1 -*-\n# données\n"


def notebook(code: str) -> bytes:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])).encode()


# kind -> (bytes before, bytes after a migration or None when it must stay as it was, an error expected)
JOBS = {
    "plain": (BEFORE.encode(), AFTER.encode()),
    "bom": (codecs.BOM_UTF8 + BEFORE.encode(), codecs.BOM_UTF8 + AFTER.encode()),
    "crlf": (BEFORE.replace("\n", "\r\n").encode(), AFTER.replace("\n", "\r\n").encode()),
    "latin1": ((COOKIE + BEFORE).encode("latin-1"), (COOKIE + AFTER).encode("latin-1")),
}
FIXED = {  # never changed; True when the run must report an error for it
    "deep": (b"from azureml.train.estimator import Estimator\nx = " + b"[" * 1800 + b"]" * 1800 + b"\n", True),
    "chain": (b"from azureml.train.estimator import Estimator\nx = " + b"+".join([b"a"] * 5000) + b"\n", True),
    "bad_codec": (b"# coding: no-such-codec\nfrom azureml.train.estimator import Estimator\n", True),
    "broken_notebook": (notebook(BEFORE)[:-40], True),
    "unrelated": (b"print('no cloud here')\n", False),
}


@st.composite
def trees(draw):
    entries = []
    for index in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from([*JOBS, *FIXED, "random", "notebook", "read_only"]))
        name = f"f{index}_{kind}" + (".ipynb" if "notebook" in kind else ".py")
        if kind == "random":  # mentions the trigger words, so it reaches the parser
            entries.append((name, b"# azureml Estimator\n" + draw(st.binary(max_size=200)), None, False))
        elif kind == "notebook":
            entries.append((name, notebook(BEFORE), "notebook", False))
        elif kind == "read_only":
            entries.append((name, BEFORE.encode(), "read_only", "when writing"))
        elif kind in JOBS:
            entries.append((name, *JOBS[kind], False))
        else:
            data, error = FIXED[kind]
            entries.append((name, data, None, error))
    links = draw(st.lists(st.sampled_from(["sibling", "dangling"]), max_size=2))
    jobs = draw(st.sampled_from(["1", "2"]))
    mode = draw(st.sampled_from([[], ["--check"], ["--diff"]]))
    return entries, links, jobs, mode


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trees())
def test_any_tree_ends_byte_identical_or_migrated(tmp_path_factory, tree):
    entries, links, jobs, mode = tree
    root = tmp_path_factory.mktemp("tree")
    for name, data, _, _ in entries:
        (root / name).write_bytes(data)
        if name.endswith("_read_only.py"):
            os.chmod(root / name, 0o444)
    for index, link in enumerate(links):
        target = root / entries[0][0] if link == "sibling" else root / "missing.py"
        (root / f"link{index}.py").symlink_to(target)
    result = CliRunner().invoke(main, ["rewrite", "--no-color", "-j", jobs, *mode, str(root)], catch_exceptions=False)

    writes = not mode
    for name, data, after, _ in entries:
        now = (root / name).read_bytes()
        if writes and after == "notebook":
            assert now == data or "ScriptRunConfig(" in nbformat.reads(now.decode(), as_version=4).cells[0].source
        elif writes and isinstance(after, bytes):
            assert now == after, name
        else:
            assert now == data, name
    assert not [p.name for p in root.iterdir() if p.name.startswith(".estimig-")]
    assert "Traceback" not in result.output

    errors = any(error is True or (error and writes) for _, _, _, error in entries)
    changes = any(isinstance(after, bytes) or after in ("notebook", "read_only") for _, _, after, _ in entries)
    if errors:
        assert result.exit_code == 2, result.output
    elif changes:
        assert result.exit_code in (1, 2), result.output  # 2 only when random bytes failed to parse
    else:
        assert result.exit_code in (0, 2), result.output
