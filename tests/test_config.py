"""Settings: `[tool.estimig]` in pyproject.toml or `.estimig.yaml`, found upwards; flags override; typos fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimig.cli import main
from estimig.config import ConfigError, find_config, load_config

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "fixtures" / "core" / "basic"


def rewrite(*args: str):
    return CliRunner().invoke(main, ["rewrite", "--no-color", "-j", "1", *args], catch_exceptions=False)


def stderr_of(result) -> str:
    return result.stderr if hasattr(result, "stderr") else result.output


@pytest.fixture
def job(tmp_path):
    """project/pkg/deep/job.py: a migratable job, two folders below the project root."""
    folder = tmp_path / "project" / "pkg" / "deep"
    folder.mkdir(parents=True)
    shutil.copyfile(BASIC / "before.py", folder / "job.py")
    return folder / "job.py"


def project_of(job: Path) -> Path:
    return job.parent.parent.parent


def test_no_config_is_empty(tmp_path):
    assert load_config(start=str(tmp_path)).values == {}


def test_pyproject_section_is_found_walking_up(job):
    (project_of(job) / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.estimig]\nstrict = true\n'
                                                    'exclude = ["legacy/"]\nrespect-gitignore = false\n')
    config = load_config(start=str(job))
    assert config.path == str(project_of(job) / "pyproject.toml")
    assert config.values == {"strict": True, "exclude": ["legacy/"], "respect_gitignore": False}


def test_pyproject_without_section_is_passed_over(job):
    (project_of(job) / ".estimig.yaml").write_text("jobs: 2\n")
    (job.parent / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert find_config(str(job)) == str(project_of(job) / ".estimig.yaml")
    assert load_config(start=str(job.parent)).get("jobs") == 2


@pytest.mark.parametrize("name", [".estimig.yaml", "estimig.yaml"])
def test_yaml_config_is_found(job, name):
    (project_of(job) / "pkg" / name).write_text("only: [core, environment]\nenvironment: curated\n")
    config = load_config(start=str(job))
    assert config.values == {"only": ["core", "environment"], "environment": "curated"}


def test_nearest_config_wins(job):
    (project_of(job) / ".estimig.yaml").write_text("strict: true\n")
    (job.parent / "pyproject.toml").write_text("[tool.estimig]\nstrict = false\n")
    assert load_config(start=str(job)).get("strict") is False


def test_a_single_string_is_a_one_item_list(tmp_path):
    (tmp_path / ".estimig.yaml").write_text("skip: arguments\n")
    assert load_config(start=str(tmp_path)).get("skip") == ["arguments"]


@pytest.mark.parametrize("content, message", [
    ("stirct: true\n", "unknown key 'stirct'"),
    ("strict: yes please\n", "'strict' must be a boolean"),
    ("jobs: true\n", "'jobs' must be an integer"),
    ("jobs: 0\n", "'jobs' must be at least 1"),
    ("exclude: [1, 2]\n", "'exclude' must be a list of strings"),
    ("- a\n- b\n", "must be a mapping"),
    ("only: [core\n", "cannot read config (line 2)"),
])
def test_bad_yaml_config_is_a_one_line_error(tmp_path, content, message):
    (tmp_path / ".estimig.yaml").write_text(content)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        load_config(start=str(tmp_path))
    shutil.copyfile(BASIC / "before.py", tmp_path / "job.py")
    result = rewrite(str(tmp_path / "job.py"))
    assert result.exit_code == 2
    err = stderr_of(result)
    assert err.count("\n") == 1 and err.startswith("estimig: error: ") and message in err
    assert str(tmp_path / ".estimig.yaml") in err
    assert (tmp_path / "job.py").read_bytes() == (BASIC / "before.py").read_bytes()


@pytest.mark.parametrize("content, message", [
    ("[tool.estimig]\nonly-concerns = ['core']\n", "unknown key 'only-concerns'"),
    ("[tool.estimig\nstrict = true\n", "cannot read pyproject.toml"),
])
def test_bad_pyproject_is_a_one_line_error(tmp_path, content, message):
    (tmp_path / "pyproject.toml").write_text(content)
    shutil.copyfile(BASIC / "before.py", tmp_path / "job.py")
    result = rewrite(str(tmp_path))
    assert result.exit_code == 2
    err = stderr_of(result)
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_unknown_concern_in_config_is_an_error(job):
    (project_of(job) / ".estimig.yaml").write_text("skip: [enviroment]\n")
    result = rewrite(str(job))
    assert result.exit_code == 2
    assert "unknown concern 'enviroment'" in stderr_of(result)


def test_config_applies_and_flags_override(job):
    (project_of(job) / ".estimig.yaml").write_text("only: [core]\nstrict: true\n")
    # `only: [core]` leaves out the environment concern every call needs: the call is left whole,
    # and `strict` makes that exit 2.
    result = rewrite("--check", str(job))
    assert result.exit_code == 2
    assert "'environment' concern" in stderr_of(result)
    # The flag replaces the config's list.
    result = rewrite("--only", "core,environment", str(job))
    assert result.exit_code == 1
    assert job.read_text(encoding="utf-8") == (BASIC / "after.py").read_text(encoding="utf-8")


def test_config_exclude_is_used(job):
    project = project_of(job)
    (project / ".estimig.yaml").write_text("exclude: ['pkg/deep/']\n")
    assert rewrite("--check", str(project)).exit_code == 0
    # An --exclude flag adds to the config's list; without the config the job is found.
    (project / ".estimig.yaml").write_text("exclude: []\n")
    assert rewrite("--check", str(project)).exit_code == 1
    assert rewrite("--check", "--exclude", "deep/", str(project)).exit_code == 0


def test_explicit_config_path(job, tmp_path):
    other = tmp_path / "ci.yaml"
    other.write_text("only: [core]\n")
    (project_of(job) / ".estimig.yaml").write_text("bogus: 1\n")
    result = rewrite("--check", "--config", str(other), str(job))
    assert result.exit_code == 1  # left whole with a comment: still a change
    assert "'environment' concern" in stderr_of(result)
    missing = CliRunner().invoke(main, ["rewrite", "--config", str(tmp_path / "nope.yaml"), str(job)])
    assert missing.exit_code == 2 and "does not exist" in missing.output
