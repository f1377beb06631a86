"""Nothing the user did not ask to change changes: encodings, newlines, tabs, comments, file modes.

A file that cannot be read or parsed is reported with its line and skipped; the run goes on. A bug
in estimig (simulated by making a concern raise) is reported on the file, which stays byte-identical.
"""

from __future__ import annotations

import codecs
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimig import runner, textio
from estimig.cli import main
from estimig.options import Options

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "fixtures" / "core" / "basic"
LITERAL = ROOT / "fixtures" / "arguments" / "literal_dict"


def text(scenario: Path, name: str) -> str:
    return (scenario / name).read_text(encoding="utf-8")


def rewrite(*args: str):
    return CliRunner().invoke(main, ["rewrite", "--no-color", "-j", "1", *args], catch_exceptions=False)


def stderr_of(result) -> str:
    return result.stderr if hasattr(result, "stderr") else result.output


COOKIE = "# -*- coding: latin-1 -*-\n# Modèle entraîné: données d'été\n"

# name -> (bytes of the input, bytes expected after migration), built from core/basic.
VARIANTS = {
    "latin1_cookie": lambda s: (COOKIE + s).encode("latin-1"),
    "utf8_bom": lambda s: codecs.BOM_UTF8 + ("# café\n" + s).encode("utf-8"),
    "crlf": lambda s: s.replace("\n", "\r\n").encode("utf-8"),
    "crlf_latin1_cookie": lambda s: (COOKIE + s).replace("\n", "\r\n").encode("latin-1"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_encoding_and_newlines_are_kept(tmp_path, variant):
    make = VARIANTS[variant]
    path = tmp_path / "job.py"
    path.write_bytes(make(text(BASIC, "before.py")))
    result = rewrite(str(path))
    assert result.exit_code == 1, result.output
    assert path.read_bytes() == make(text(BASIC, "after.py"))


def test_tabs_comments_and_layout_are_kept(tmp_path):
    source = (
        "from azureml.core import Experiment, Workspace\n"
        "from azureml.core.compute import ComputeTarget\n"
        "from azureml.train.estimator import Estimator\n"
        "\n"
        "ws = Workspace.from_config()  # from config.json\n"
        "\n"
        "\n"
        "def submit(name):\n"
        "\tif name:\n"
        "\t\t# build the job\n"
        "\t\tcluster = ComputeTarget(workspace=ws, name=name)\n"
        "\t\test = Estimator(source_directory='./src',   # code\n"
        "\t\t\t\t\t\tentry_script='train.py',\n"
        "\t\t\t\t\t\tcompute_target=cluster)  # trailing\n"
        "\t\treturn Experiment(ws, 'tabs').submit(est)\n"
        "\n"
        "\n"
        "submit(\"cpu-cluster\")\n"
    )
    path = tmp_path / "job.py"
    path.write_text(source)
    assert rewrite(str(path)).exit_code == 1
    new = path.read_text()
    assert "ScriptRunConfig(" in new and "Estimator" not in new
    old_lines, new_lines = source.splitlines(), new.splitlines()
    # Every line outside the imports and the call itself is unchanged, tabs and comments included.
    for line in old_lines[3:11] + old_lines[14:]:
        assert line in new_lines, line
    assert "\t\test = ScriptRunConfig(source_directory='./src',   # code" in new_lines
    assert "\t\t\t\t\t\tscript='train.py'," in new_lines
    assert any(line.startswith("\t\t\t\t\t\t") and line.endswith(")  # trailing") for line in new_lines)
    assert not any(line.startswith(" ") for line in new_lines)


def test_atomic_write_keeps_mode_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "job.py"
    shutil.copyfile(BASIC / "before.py", path)
    os.chmod(path, 0o751)
    assert rewrite(str(path)).exit_code == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o751
    assert path.read_text(encoding="utf-8") == text(BASIC, "after.py")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.py"]


def test_atomic_write_failure_keeps_the_original(tmp_path, monkeypatch):
    path = tmp_path / "job.py"
    path.write_bytes(b"original\n")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        textio.write_atomic(str(path), b"new\n")
    assert path.read_bytes() == b"original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["job.py"]


def test_a_write_error_is_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    for name in ("a", "b"):
        shutil.copyfile(BASIC / "before.py", tmp_path / f"{name}.py")
    real = textio.write_atomic

    def flaky(path, data, expected=None):
        if path.endswith("a.py"):
            raise OSError(28, "No space left on device")
        real(path, data, expected)

    monkeypatch.setattr(runner, "write_atomic", flaky)
    result = rewrite(str(tmp_path))
    assert result.exit_code == 2
    assert "a.py:1: error: EST002 io: cannot write" in stderr_of(result)
    # The summary never counts a file whose write failed as migrated.
    assert f"{tmp_path / 'a.py'}: error, 0 migrated" in stderr_of(result)
    assert "Migrated 1 call in 1 file;" in stderr_of(result)
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == text(BASIC, "before.py")
    assert (tmp_path / "b.py").read_text(encoding="utf-8") == text(BASIC, "after.py")


def test_write_through_a_symlink_replaces_the_target(tmp_path):
    real = tmp_path / "real.py"
    shutil.copyfile(BASIC / "before.py", real)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    assert rewrite(str(link)).exit_code == 1
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == text(BASIC, "after.py")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_bad_file_is_reported_and_the_others_are_migrated(tmp_path, jobs):
    legacy = "from azureml.train.estimator import Estimator\n\nprint 'Python 2 is common in old notebooks'\n"
    (tmp_path / "a_legacy.py").write_text(legacy)
    (tmp_path / "b_binary.py").write_bytes(b"from azureml.train.estimator import Estimator\n\xff\xfe not utf-8\n")
    (tmp_path / "c_cookie.py").write_bytes(b"# coding: no-such-codec\nfrom azureml.train.estimator import Estimator\n")
    for name in ("d_job", "e_job"):
        shutil.copyfile(BASIC / "before.py", tmp_path / f"{name}.py")
    result = CliRunner().invoke(main, ["rewrite", "--no-color", "-j", jobs, str(tmp_path)])
    assert result.exit_code == 2
    err = stderr_of(result)
    assert f"{tmp_path / 'a_legacy.py'}:3" in err and "error: EST001 parse:" in err
    assert f"{tmp_path / 'b_binary.py'}:1: error: EST002 io: cannot decode as utf-8" in err
    assert f"{tmp_path / 'c_cookie.py'}:1: error: EST002 io:" in err
    assert (tmp_path / "a_legacy.py").read_text() == legacy
    assert (tmp_path / "b_binary.py").read_bytes() == b"from azureml.train.estimator import Estimator\n\xff\xfe not utf-8\n"
    for name in ("d_job", "e_job"):
        assert (tmp_path / f"{name}.py").read_text(encoding="utf-8") == text(BASIC, "after.py")


def test_an_engine_bug_in_a_concern_leaves_the_file_byte_identical(tmp_path, monkeypatch):
    from estimig.codemods import core

    def broken(call, options):
        raise KeyError("simulated bug")

    monkeypatch.setattr(core, "plan", broken)
    path = tmp_path / "job.py"
    data = text(BASIC, "before.py").replace("\n", "\r\n").encode()
    path.write_bytes(data)
    result = rewrite(str(path))
    assert result.exit_code == 2
    err = stderr_of(result)
    assert f"{path}:1: error: EST003 engine: internal error (KeyError" in err
    assert "Traceback" not in err
    assert path.read_bytes() == data


def test_a_crash_outside_the_engine_is_reported_per_file(tmp_path, monkeypatch):
    import estimig.engine

    real = estimig.engine.migrate_source

    def crashing(code, *, path="<string>", options=None):
        if path.endswith("boom.py"):
            raise RuntimeError("simulated crash")
        return real(code, path=path, options=options)

    monkeypatch.setattr(estimig.engine, "migrate_source", crashing)
    for name in ("boom", "fine"):
        shutil.copyfile(BASIC / "before.py", tmp_path / f"{name}.py")
    result = rewrite(str(tmp_path))
    assert result.exit_code == 2
    assert "boom.py:1: error: EST003 engine: internal error (RuntimeError: simulated crash)" in stderr_of(result)
    assert (tmp_path / "boom.py").read_text(encoding="utf-8") == text(BASIC, "before.py")
    assert (tmp_path / "fine.py").read_text(encoding="utf-8") == text(BASIC, "after.py")


def test_files_that_never_mention_azureml_and_an_estimator_are_not_parsed(tmp_path, monkeypatch):
    import libcst

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed a file that never mentions azureml")

    monkeypatch.setattr(libcst, "parse_module", no_parse)
    path = tmp_path / "model.py"
    # (fixtures/core/noop_no_azureml says "azureml" in its own comment, so it is parsed.)
    path.write_text("from sklearn.base import BaseEstimator as Estimator\n\nest = Estimator()\n")
    original = path.read_bytes()
    (tmp_path / "broken.py").write_text("print 'Python 2, no Azure here'\n")
    (tmp_path / "sdk_user.py").write_text("from azureml.core import Workspace\nprint 'no estimator class named'\n")
    paths = [str(path), str(tmp_path / "broken.py"), str(tmp_path / "sdk_user.py")]
    results = runner.run(paths, Options.create(), write=True, jobs=1)
    assert [r.findings for r in results] == [(), (), ()]
    assert not any(r.changed for r in results)
    assert path.read_bytes() == original


def test_decode_and_encode_round_trip():
    for data in (b"x = 1\r\n", codecs.BOM_UTF8 + "é = 1\n".encode(), "# coding: cp1252\n€ = 1\n".encode("cp1252")):
        source = textio.decode(data)
        assert textio.encode(source, source.text) == data
    with pytest.raises(textio.UnreadableFile):
        textio.decode(codecs.BOM_UTF8 + b"# coding: latin-1\n")
