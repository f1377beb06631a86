"""A second run is a no-op: whatever estimig wrote (a migration or a `# estimig:` comment) it leaves
as it is the next time, for every fixture, every notebook and the example project.

An inserted comment must never quote a position of the file it is inserted in: the comment itself
moves what follows it, so the next run would quote another line and rewrite the comment.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from estimig.engine import migrate_source
from estimig.options import Options
from estimig.runner import migrate_notebook_text
from fixture_support import FIXTURES, assert_same_text

SOURCES = sorted([*FIXTURES.glob("*/*/before.py"), *FIXTURES.glob("*/*/after.py")])
NOTEBOOKS = sorted([*FIXTURES.glob("notebooks/*.ipynb"), *FIXTURES.glob("*/*/before.ipynb"),
                    *FIXTURES.glob("*/*/after.ipynb")])
PROJECT = FIXTURES / "projects" / "example"


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def _twice_source(code: str, label: str) -> None:
    once = migrate_source(code, path=label).code
    twice = migrate_source(once, path=label).code
    assert_same_text(once, twice, f"{label} (second run)")


def _twice_notebook(text: str, label: str) -> None:
    options = Options.create()
    once = migrate_notebook_text(text, label, options)[0].code
    twice = migrate_notebook_text(once, label, options)[0].code
    assert_same_text(once, twice, f"{label} (second run)")
    try:
        first = json.loads(once)
    except ValueError:
        return  # not a notebook: left as it was, byte for byte (the text check above)
    assert json.loads(twice) == first, f"{label}: the second run changed the notebook's JSON"


@pytest.mark.parametrize("path", [pytest.param(p, id=_id(p)) for p in SOURCES])
def test_second_run_of_a_fixture_is_a_noop(path):
    _twice_source(path.read_text(), _id(path))


@pytest.mark.parametrize("path", [pytest.param(p, id=_id(p)) for p in NOTEBOOKS])
def test_second_run_of_a_notebook_is_a_noop(path):
    _twice_notebook(path.read_text(encoding="utf-8"), _id(path))


def test_second_run_of_the_example_project_is_a_noop(tmp_path):
    from estimig import runner
    from estimig.discovery import iter_files

    root = tmp_path / "example"
    shutil.copytree(PROJECT, root)
    options = Options.create()
    files = list(iter_files([str(root)]))
    assert files
    first = runner.run(files, options, write=True, jobs=1)
    assert any(r.changed for r in first), "the example project should have something to migrate"
    written = {path: Path(path).read_bytes() for path in files}
    second = runner.run(files, options, write=True, jobs=1)
    changed = [r.path for r in second if r.changed]
    assert not changed, f"the second run changed {changed}"
    assert {path: Path(path).read_bytes() for path in files} == written


# A multi-node estimator whose submit estimig cannot prove, far down a file: its comment names the
# use by its code. It used to quote "(line 85)", which the comment itself moved to line 86.
MANY_LINES = "".join(f"step_{i} = {i}\n" for i in range(80))
MULTINODE_NOT_PROVABLE = f'''\
from azureml.core import Experiment, Workspace
from azureml.train.dnn import PyTorch

ws = Workspace.from_config()
{MANY_LINES}
est = PyTorch(source_directory="src", entry_script="train.py", compute_target="gpu-cluster",
              node_count=2, distributed_training=Mpi())
run = launch(est)
'''.replace("from azureml.train.dnn import PyTorch", "from azureml.train.dnn import Mpi, PyTorch")


def test_multinode_comment_quotes_no_line():
    result = migrate_source(MULTINODE_NOT_PROVABLE)
    comment = next(line for line in result.code.splitlines() if line.lstrip().startswith("# estimig:"))
    assert not re.search(r"\bline\s*\d", comment), comment
    # The comment is short; the report names the use by its code.
    message = next(f.message for f in result.findings if f.code == "EST106")
    assert not re.search(r"\bline\s*\d", message) and "launch(est)" in message, message
    _twice_source(MULTINODE_NOT_PROVABLE, "multinode_not_provable")


def test_multinode_notebook_comment_is_a_fixed_point():
    cells = [MULTINODE_NOT_PROVABLE.split("ws = Workspace")[0], "ws = Workspace.from_config()\n" + MANY_LINES,
             MULTINODE_NOT_PROVABLE.split(MANY_LINES)[1]]
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                           "outputs": [], "source": source.splitlines(True)} for i, source in enumerate(cells)],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(notebook, indent=1) + "\n"
    once = migrate_notebook_text(text, "multinode.ipynb", Options.create())[0].code
    assert "# estimig:" in once
    _twice_notebook(text, "multinode.ipynb")


def test_a_target_read_by_a_migrated_call_stays_classified_on_the_second_run():
    """Run 1 migrates the first estimator into ScriptRunConfig(compute_target=compute_target) and
    leaves the second (its use needs the skipped 'uses' concern); run 2 must see the same target
    (a ScriptRunConfig keeps the target's name, it never changes the object) and say the same."""
    source = '''from azureml.core import Experiment, Workspace
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException
from azureml.train.dnn import TensorFlow
from azureml.train.hyperdrive import HyperDriveRunConfig

ws = Workspace.from_config()
try:
    compute_target = ComputeTarget(workspace=ws, name="gpu")
except ComputeTargetException:
    compute_target = ComputeTarget.create(ws, "gpu", AmlCompute.provisioning_configuration(vm_size="STANDARD_NC6"))
est = TensorFlow(source_directory="src", compute_target=compute_target, entry_script="tf.py", use_gpu=True)
run = Experiment(ws, "x").submit(est)
tuned = TensorFlow(source_directory="src", compute_target=compute_target, entry_script="tf.py", use_gpu=True)
hd = HyperDriveRunConfig(estimator=tuned)
'''
    options = Options.create(skip=("uses",))
    first = migrate_source(source, options=options)
    assert first.migrated == 1 and first.left == 1
    second = migrate_source(first.code, options=options)
    assert second.code == first.code
    assert [f.code for f in second.findings if f.severity.value != "info"] == \
        [f.code for f in first.findings if f.severity.value != "info"]
