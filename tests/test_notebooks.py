"""Notebooks: one program across cells, IPython syntax masked, every untouched byte kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from estimig.notebooks import _mask, file_line, is_notebook_path, migrate_notebook
from estimig.result import Finding, Result, Severity
from fixture_support import code_sources, program

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "notebooks"
ALL = sorted(p.name for p in FIXTURES.glob("*.ipynb"))
READABLE = [n for n in ALL if not n.startswith("not-")]

_CALL = re.compile(r"\b(Estimator|PyTorch|SKLearn)\(")


def stand_in(code: str) -> Result:
    """A textual stand-in for the engine: renames the call, adds an import, reports each call's line."""
    calls = list(_CALL.finditer(code))
    if not calls:
        return Result(code)
    new = _CALL.sub("ScriptRunConfig(", code).replace("entry_script=", "script=")
    findings = tuple(
        Finding(code.count("\n", 0, m.start()) + 1, Severity.INFO, "core", "migrated") for m in calls
    )
    return Result("from azureml.core import ScriptRunConfig\n" + new, findings, len(calls))


def identity(code: str) -> Result:
    return Result(code)


def read(name: str) -> str:
    with open(FIXTURES / name, encoding="utf-8", newline="") as fh:
        return fh.read()


def sources(text: str) -> list[str]:
    return code_sources(text)


def without_code(text: str):
    data = json.loads(text)
    for cell in data.get("cells", []) + [c for ws in data.get("worksheets", []) for c in ws["cells"]]:
        if cell["cell_type"] == "code":
            cell.pop("source", None)
            cell.pop("input", None)
    return data


# --- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_nothing_changed_is_byte_identical(name):
    text = read(name)
    assert migrate_notebook(text, identity).text == text


def test_notebook_without_estimators_is_byte_identical_under_the_stand_in():
    text = read("no-estimator.ipynb")
    result = migrate_notebook(text, stand_in)
    assert result.text == text
    assert result.cell_diffs == [] and result.findings == []


@pytest.mark.parametrize("name", [n for n in READABLE if n not in ("no-estimator.ipynb", "r-kernel.ipynb")])
def test_only_code_sources_change(name):
    text = read(name)
    result = migrate_notebook(text, stand_in, path=name)
    assert result.text != text
    # Outputs, images, execution counts, metadata, other cells: equal as data...
    assert without_code(result.text) == without_code(text)
    # ...and still a notebook nbformat reads at its own version.
    nb = nbformat.reads(result.text, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == json.loads(text)["nbformat"]


def test_minified_notebook_stays_one_line_and_only_the_source_bytes_change():
    text = read("minified.ipynb")
    result = migrate_notebook(text, stand_in)
    expected = text.replace(
        '"source":["!pip install azureml-sdk"]',
        '"source":["from azureml.core import ScriptRunConfig\\n","!pip install azureml-sdk"]',
    ).replace(
        "est = Estimator(source_directory='./src', entry_script=",
        "est = ScriptRunConfig(source_directory='./src', script=",
    )
    assert result.text == expected
    assert "\n" not in result.text.strip()


def test_string_sources_stay_strings_and_no_trailing_newline_is_added():
    text = read("string-source.ipynb")
    result = migrate_notebook(text, stand_in)
    expected = text.replace(
        '"source": "!pip install azureml-sdk"',
        '"source": "from azureml.core import ScriptRunConfig\\n!pip install azureml-sdk"',
    ).replace("est = Estimator(source_directory='./src', entry_script=", "est = ScriptRunConfig(source_directory='./src', script=")
    assert result.text == expected
    assert not result.text.endswith("\n")


def test_list_sources_keep_their_layout_and_the_file_its_trailing_newline():
    text = read("train-pytorch.ipynb")
    result = migrate_notebook(text, stand_in)
    expected = (
        text.replace(
            '    "%pip install --upgrade',
            '    "from azureml.core import ScriptRunConfig\\n",\n    "%pip install --upgrade',
        )
        .replace('"estimator = PyTorch(', '"estimator = ScriptRunConfig(')
        .replace("entry_script='pytorch_train.py'", "script='pytorch_train.py'")
    )
    assert result.text == expected
    assert result.text.endswith("}\n")


def test_crlf_and_ascii_escapes_are_kept():
    text = read("broken-cell.ipynb")
    assert "\r\n" in text
    result = migrate_notebook(text, stand_in)
    assert result.text != text
    assert result.text.count("\n") == result.text.count("\r\n")


def test_non_ascii_is_written_as_the_file_had_it():
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": ["# naïve\n", "est = Estimator(source_directory='.')"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    for ensure_ascii in (True, False):
        text = json.dumps(nb, indent=1, ensure_ascii=ensure_ascii)
        new = migrate_notebook(text, stand_in).text
        assert ("\\u00ef" in new) is ensure_ascii and ("ï" in new) is not ensure_ascii


def test_empty_source_list_gets_the_notebook_layout():
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": []},
                    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": ["est = Estimator(source_directory='.')"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(nb, indent=1) + "\n"
    new = migrate_notebook(text, stand_in).text
    assert '"source": [\n    "from azureml.core import ScriptRunConfig\\n"\n   ]' in new
    assert sources(new)[0] == "from azureml.core import ScriptRunConfig\n"


def test_bom_is_kept():
    text = "\ufeff" + read("minified.ipynb")
    new = migrate_notebook(text, stand_in).text
    assert new.startswith("\ufeff") and new != text


def test_nbformat3_migrates_input_and_keeps_the_version():
    text = read("nbformat3.ipynb")
    result = migrate_notebook(text, stand_in, path="nbformat3.ipynb")
    assert json.loads(result.text)["nbformat"] == 3
    assert sources(result.text)[1].startswith("est = ScriptRunConfig(")
    # The %%bash cell mentions Estimator( but is shell: left alone and said so.
    assert sources(result.text)[2] == sources(text)[2]
    assert any(f.cell == 3 and "%%bash" in f.message for f in result.findings)


# --- one program across cells, findings per cell -----------------------------------------------------


def test_cells_are_one_program_and_findings_point_at_cell_and_line():
    seen = []

    def migrate(code):
        seen.append(code)
        return stand_in(code)

    result = migrate_notebook(read("train-pytorch.ipynb"), migrate, path="train-pytorch.ipynb")
    assert len(seen) == 1  # all cells in one call: an estimator built in one cell, submitted in another
    assert "estimator = PyTorch(" in seen[0] and "run = experiment.submit(estimator)" in seen[0]
    migrated = [f for f in result.findings if f.concern == "core"]
    assert [(f.cell, f.line) for f in migrated] == [(9, 3)]
    assert migrated[0].location("train-pytorch.ipynb") == "train-pytorch.ipynb, cell 9, line 3"
    assert result.migrated == 1


def test_cell_diffs_are_headed_with_path_and_cell():
    result = migrate_notebook(read("train-pytorch.ipynb"), stand_in, path="nb/train-pytorch.ipynb")
    assert [d.splitlines()[0] for d in result.cell_diffs] == [
        "--- nb/train-pytorch.ipynb:cell 1",
        "--- nb/train-pytorch.ipynb:cell 9",
    ]
    assert "+estimator = ScriptRunConfig(source_directory=project_folder, " in result.cell_diffs[1]


def test_cell_that_does_not_parse_is_reported_and_the_rest_migrated():
    text = read("broken-cell.ipynb")
    result = migrate_notebook(text, stand_in, path="broken-cell.ipynb")
    broken = [f for f in result.findings if f.severity is Severity.WARNING]
    assert [(f.cell, f.line) for f in broken] == [(1, 3)]
    after = sources(result.text)
    assert after[0] == sources(text)[0]
    assert "ScriptRunConfig(" in after[1]
    # The masked lines came back exactly: an indented shell line, a %%time cell, a help query.
    assert after[2:] == sources(text)[2:]


def test_magics_never_reach_the_engine():
    seen = []
    migrate_notebook(read("broken-cell.ipynb"), lambda c: seen.append(c) or Result(c))
    assert not re.search(r"^\s*[%!?]|\?\s*$", seen[0], re.M)
    compile(seen[0], "program", "exec")


@pytest.mark.parametrize(
    "source, masked_lines",
    [
        pytest.param("%pip install azureml-sdk\nx = 1", [0], id="line-magic"),
        pytest.param("!ls -la\nx = 1", [0], id="shell"),
        pytest.param("files = !ls\nx = 1", [0], id="shell-assignment"),
        pytest.param("Estimator?", [0], id="help"),
        pytest.param("est.submit??", [0], id="help-detail"),
        pytest.param("?Estimator", [0], id="help-prefix"),
        pytest.param("%%time\nx = 1", [0], id="time-cell-magic-body-is-python"),
        pytest.param("for i in range(2):\n    !echo $i", [1], id="indented-shell"),
        pytest.param("!pip install a \\\n    b\nx = 1", [0], id="continued-shell"),
        pytest.param('s = """\n%not a magic\n!nor this\n"""', [], id="inside-a-string"),
        pytest.param("y = (10\n% 3)", [], id="modulo-continuation"),
        pytest.param("# what is this?\nx = 1", [], id="comment-question"),
    ],
)
def test_mask(source, masked_lines):
    masked = _mask(source, iter(f"__tok{i}__" for i in range(9)).__next__)
    assert masked.skip_reason is None
    compile(masked.code, "cell", "exec")
    lines = masked.code.splitlines()
    assert [i for i, ln in enumerate(lines) if "__tok" in ln] == masked_lines
    # One masked line per magic even when it continues over several.
    assert "".join(masked.restore.values()) in source


@pytest.mark.parametrize("magic", ["%%writefile train.py", "%%bash", "%%html", "%%timeit", "%%sh"])
def test_cell_magics_whose_body_is_not_notebook_code_are_left_alone(magic):
    assert _mask(f"{magic}\nest = Estimator(x)\n", lambda: "t").skip_reason


# --- failure leaves the file untouched ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["not-json.ipynb", "not-a-notebook.ipynb"])
def test_unreadable_notebook_is_reported_and_untouched(name):
    text = read(name)
    result = migrate_notebook(text, stand_in)
    assert result.text == text
    assert [f.severity for f in result.findings] == [Severity.ERROR]


def test_non_python_kernel_is_left_alone():
    text = read("r-kernel.ipynb")
    result = migrate_notebook(text, stand_in)
    assert result.text == text and "R" in result.findings[0].message


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param(lambda code: Result(re.sub(r"^__estimig\d+_cell_1__\n", "", stand_in(code).code, flags=re.M)), id="drops-separator"),
        pytest.param(lambda code: Result(re.sub(r"^__estimig\d+_magic_0__\n", "", stand_in(code).code, flags=re.M)), id="drops-magic"),
        pytest.param(lambda code: 1 / 0, id="raises"),
    ],
)
def test_engine_that_mangles_the_program_leaves_the_notebook_untouched(engine):
    text = read("minified.ipynb")
    result = migrate_notebook(text, engine)
    assert result.text == text
    assert result.cell_diffs == []
    assert any(f.severity is Severity.ERROR for f in result.findings)


def test_is_notebook_path():
    assert is_notebook_path("a/b/Train.IPYNB") and not is_notebook_path("train.py")


def test_file_line_points_at_the_json_line_of_the_code():
    text = read("train-pytorch.ipynb")
    n = file_line(text, 9, 3)
    assert "estimator = PyTorch(" in text.splitlines()[n - 1]
    assert file_line(text, 99, 1) is None


# --- the real engine ------------------------------------------------------------------------------------


def test_real_engine_migrates_across_cells_and_the_oracle_agrees(tmp_path):
    from estimig import engine, oracle

    text = read("nbformat3.ipynb")
    result = migrate_notebook(text, engine.migrate_source, path="nbformat3.ipynb")
    assert result.migrated == 1 and result.text != text
    assert without_code(result.text) == without_code(text)
    (tmp_path / "train.py").write_text("print('train')\n")
    assert oracle.execute(program(text), "before.py", str(tmp_path))
    assert oracle.check(program(text), program(result.text), str(tmp_path)) == []


@pytest.mark.parametrize("name", READABLE)
def test_real_engine_keeps_every_notebook_readable(name):
    from estimig import engine

    text = read(name)
    result = migrate_notebook(text, engine.migrate_source, path=name)
    assert without_code(result.text) == without_code(text)
    # Left calls carry a finding in a cell; a second run changes nothing more.
    again = migrate_notebook(result.text, engine.migrate_source, path=name)
    assert again.text == result.text
