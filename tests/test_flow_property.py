"""Flow property (issue 13): in generated straight-line programs and notebooks, script_params, pip
lists and MpiConfigurations are bound, rebound and changed (folded or not) before the estimators
that use them. Every result parses, marks every estimator it leaves, is a fixed point, and submits
what the original submitted (the oracle). Where the program makes it provable (`Est.expect`), the
estimator must be migrated; where an unfoldable change reaches it, it must be left and flagged."""

from __future__ import annotations

import os

import libcst as cst
import nbformat
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from strategies.programs import Est, Program, notebooks, programs
from strategies.preamble import PREAMBLE
from test_whole_file_property import unmarked

from estimig.engine import migrate_source
from estimig.notebooks import _mask, migrate_notebook
from fixture_support import assert_oracle_equal

EXAMPLES = int(os.environ.get("ESTIMIG_PROPERTY_EXAMPLES", "15"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check_outcomes(program: Program, code: str) -> None:
    """Each estimator the program makes provable became a ScriptRunConfig; each one an unfoldable
    change reaches is still an estimator (unmarked() has checked it carries a comment)."""
    for est in program.estimators:
        migrated = f"{est.name} = ScriptRunConfig(" in code
        left = f"{est.name} = {est.kind}(" in code
        assert migrated != left, f"{est.name}: neither migrated nor left:\n{code}"
        if est.expect == "migrate":
            assert migrated, f"{est.name} should have been migrated (every change folded):\n{code}"
        elif est.expect == "flag":
            assert left, f"{est.name} should have been left (an unfoldable change reaches it):\n{code}"
        outcome = "migrated" if migrated else "left"
        event(f"{outcome}: expected {est.expect}")
        if migrated and est.folded:
            event("migrated with folded changes")
        if migrated and est.rebound:
            event("migrated after a rebinding")


@SETTINGS
@given(programs())
def test_programs_migrate_or_flag_never_differ(tmp_path, program):
    source = program.source
    result = migrate_source(source)
    cst.parse_module(result.code)
    assert not unmarked(result.code), f"estimators left without a comment:\n{result.code}"
    assert result.left == 0 or result.findings
    assert migrate_source(result.code).code == result.code, f"a second run changed the code:\n{result.code}"
    check_outcomes(program, result.code)
    assert_oracle_equal(source, result.code, tmp_path / "job")


def _program(text: str) -> str:
    """The notebook's code cells as one script (as tests/test_notebooks.py runs them)."""
    nb = nbformat.reads(text, as_version=4)
    cells = [_mask(c.source, lambda: "pass") for c in nb.cells if c.cell_type == "code"]
    return "".join(m.code + "\n" for m in cells if not m.skip_reason)


@SETTINGS
@given(notebooks())
def test_notebooks_migrate_or_flag_never_differ(tmp_path, drawn):
    program, text = drawn
    result = migrate_notebook(text, migrate_source, path="n.ipynb")
    nbformat.reads(result.text, as_version=4)
    code = _program(result.text)
    cst.parse_module(code)
    assert not unmarked(code), f"estimators left without a comment:\n{code}"
    again = migrate_notebook(result.text, migrate_source, path="n.ipynb")
    assert again.text == result.text, "a second run changed the notebook"
    check_outcomes(program, code)
    assert_oracle_equal(_program(text), code, tmp_path / "job")


# --- fixed programs: the analysis is exercised, both ways --------------------------------------------

HEAD = PREAMBLE.format(estimator_import="from azureml.train.estimator import Estimator\nfrom azureml.train.dnn import PyTorch")
CALL = 'est = Estimator(source_directory="src", entry_script="train.py", compute_target=cluster, {})\n'
SUBMIT = 'run = Experiment(ws, "x").submit(est)\n'

MIGRATE = {
    "folded dict changes": 'sp = {"--lr": 0.1, "--x": None}\nsp["--epochs"] = 3\nsp.update({"--data": ""})\n'
                           'sp.update(flag=True)\ndel sp["--x"]\n' + CALL.format("script_params=sp"),
    "rebound dict": 'sp = {"--a": 1}\nsp = {"--b": [1, 2.5], "": None}\nsp["--c"] = False\n'
                    + CALL.format("script_params=sp"),
    "rebound after an unfoldable change": 'sp = {"--a": 1}\nsp.pop("--a")\nsp = {"--b": 2}\n'
                                          + CALL.format("script_params=sp"),
    "folded list changes": 'pip = ["pandas"]\npip.append("torch==1.0")\npip += ["scipy"]\npip.extend(["joblib"])\n'
                           + CALL.format("pip_packages=pip"),
    "folded mpi attributes": "mpi = MpiConfiguration()\nmpi.process_count_per_node = 2\nmpi.node_count = 2\n"
                             + CALL.format("distributed_training=mpi, node_count=2"),
    "branch on a literal flag": 'flag = True\nsp = {"--a": 1}\nif flag:\n    sp["--a"] = 2\n' + CALL.format("script_params=sp"),
    "tests of constants": 'MODEL = "deep"\nN = 3\nsp = {"--m": MODEL}\nif MODEL == "wide" or N < 2:\n    sp["--w"] = 1\n'
                          'elif MODEL in ("deep", "both") and not N is None:\n    sp["--d"] = ""\nelse:\n'
                          '    sp.pop("--m")\n' + CALL.format("script_params=sp"),
    "dead branch changes nothing": 'DEBUG = False\nsp = {"--a": 1}\nif DEBUG:\n    other = sp\n    other["--b"] = 2\n'
                                   '    sp.setdefault("--c", 3)\n' + CALL.format("script_params=sp"),
    "mpi read only in a dead branch": 'mpi = MpiConfiguration()\nmpi.process_count_per_node = 2\nif None:\n'
                                      '    spare = mpi\n' + CALL.format("distributed_training=mpi"),
    # Either path may run: the dict is flattened as it is at the call (`sp["--a"]` read there).
    "branch on a run-time flag": 'import os\nflag = os.environ.get("FLAG") == "1"\nsp = {"--a": 1}\nif flag:\n'
                                 '    sp["--a"] = 2\n    sp["--b"] = ""\n' + CALL.format("script_params=sp"),
    "branch, then rebound": 'flag = True\nsp = {"--a": 1}\nif flag:\n    sp["--a"] = 2\nsp = {"--a": 3}\n'
                            + CALL.format("script_params=sp"),
}

FLAG = {
    "user function": 'def tweak(d):\n    d["--x"] = 1\n\nsp = {"--a": 1}\ntweak(sp)\n' + CALL.format("script_params=sp"),
    "pop": 'sp = {"--a": 1, "--b": 2}\nsp.pop("--a")\n' + CALL.format("script_params=sp"),
    "setdefault": 'sp = {"--a": 1}\nsp.setdefault("--b", 2)\n' + CALL.format("script_params=sp"),
    "alias": 'sp = {"--a": 1}\nother = sp\nother["--y"] = 2\n' + CALL.format("script_params=sp"),
    "folded after an alias": 'sp = {"--a": 1}\nother = sp\nsp["--b"] = 2\nother["--y"] = 2\n'
                             + CALL.format("script_params=sp"),
    "a fixed test's dead branch does not count, its live one does": 'flag = True\nsp = {"--a": 1}\nif not flag:\n'
                                 '    sp["--b"] = 2\nelse:\n    sp.pop("--a")\n' + CALL.format("script_params=sp"),
    "list insert": 'pip = ["pandas"]\npip.insert(0, "torch")\n' + CALL.format("pip_packages=pip"),
    "mpi helper": "def configure(m):\n    m.process_count_per_node = 2\n\nmpi = MpiConfiguration()\nconfigure(mpi)\n"
                  + CALL.format("distributed_training=mpi"),
}


@pytest.mark.parametrize("body", MIGRATE.values(), ids=MIGRATE.keys())
def test_provable_programs_migrate(tmp_path, body):
    source = HEAD + body + SUBMIT
    result = migrate_source(source)
    assert result.migrated == 1 and result.left == 0, result.code
    assert "est = ScriptRunConfig(" in result.code
    assert migrate_source(result.code).code == result.code
    assert_oracle_equal(source, result.code, tmp_path / "job")


@pytest.mark.parametrize("body", FLAG.values(), ids=FLAG.keys())
def test_unprovable_programs_are_flagged(tmp_path, body):
    source = HEAD + body + SUBMIT
    result = migrate_source(source)
    assert result.migrated == 0 and result.left == 1 and result.findings, result.code
    assert not unmarked(result.code)
    assert migrate_source(result.code).code == result.code
    assert_oracle_equal(source, result.code, tmp_path / "job")


def test_the_generator_reaches_folded_and_rebound_migrations():
    """The strategy draws programs where folded changes and rebindings reach an estimator that must
    migrate, and ones where an unfoldable change reaches one that must be flagged: the property's
    expectations are exercised both ways, and a few such programs are checked here outright."""
    found: dict[str, list[tuple[Program, Est]]] = {"migrate": [], "flag": []}

    # Enough draws that the counts below never hang on where the checkout lies (the derandomized seed
    # depends on it): about 1 in 100 programs is of the first kind.
    @settings(max_examples=1500, database=None, deadline=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(programs())
    def draw(program):
        for est in program.estimators:
            if est.expect == "migrate" and est.folded and est.rebound:
                found["migrate"].append((program, est))
            elif est.expect == "flag":
                found["flag"].append((program, est))

    draw()
    assert len(found["migrate"]) >= 5 and len(found["flag"]) >= 5, {k: len(v) for k, v in found.items()}
    for program, est in found["migrate"][:5]:
        assert f"{est.name} = ScriptRunConfig(" in migrate_source(program.source).code, program.source
    for program, est in found["flag"][:5]:
        assert f"{est.name} = {est.kind}(" in migrate_source(program.source).code, program.source


# --- bugs the property found (issue 13), fixed; kept as regressions ----------------------------------------


# `mpi.node_count = 2` folded onto an MpiConfiguration passed without node_count=2: the ScriptRunConfig
# takes run_config.node_count from it, the estimator sent node_count 1 (job 0: nodeCount: 1 != 2).
def test_bug_folded_mpi_node_count_without_the_estimators_node_count(tmp_path):
    source = HEAD + "mpi = MpiConfiguration()\nmpi.node_count = 2\n" + CALL.format("distributed_training=mpi") + SUBMIT
    result = migrate_source(source)
    assert result.migrated == 1 or result.left == 1
    assert_oracle_equal(source, result.code, tmp_path / "job")


# Not a fixed point: ModuleFacts.definition picked the reason of one of two unknown definitions of the
# same binding from a frozenset (hashed by id), so est2's comment could change on the next run.
def test_bug_reason_of_a_name_changed_two_ways_is_a_fixed_point():
    source = HEAD + (
        "packages = []\n"
        'est1 = Estimator(source_directory="src", entry_script="train.py", compute_target=cluster, pip_packages=["pandas"])\n'
        "if False:\n"
        '    packages.insert(0, "x")\n'
        "other = packages\n"
        'est2 = Estimator(source_directory="src", entry_script="train.py", compute_target=cluster, pip_packages=packages)\n')
    # Which reason was picked depended on where the definitions lay in memory: try it 40 times, with the
    # allocations shifted each time (about 4 in 10 tries were not a fixed point while the bug was there).
    shifted = []
    for i in range(40):
        shifted.append([object() for _ in range(7 * i)])
        result = migrate_source(source)
        assert migrate_source(result.code).code == result.code


# One MpiConfiguration for two estimators, `mpi.node_count = 2` set on it first: each ScriptRunConfig gets
# an object of its own, which lost the folded attribute (job 0: mpi nodeCount 2 != 1).
def test_bug_shared_mpi_configuration_keeps_what_was_set_on_it(tmp_path):
    source = HEAD + ("mpi = MpiConfiguration()\nmpi.node_count = 2\n" + CALL.format("distributed_training=mpi")
                     + CALL.replace("est =", "est2 =").format("distributed_training=mpi")) + SUBMIT \
        + 'Experiment(ws, "x").submit(est2)\n'
    result = migrate_source(source)
    assert result.migrated == 2, result.code
    assert_oracle_equal(source, result.code, tmp_path / "job")


def test_a_regex_of_constants_decides_a_branch_but_one_that_may_backtrack_for_ever_is_not_run(tmp_path):
    """`re.match` of two constants is evaluated (gpt2 notebooks parse an image name that way); a
    pattern with a quantified group holding a quantifier could take minutes, so it is left undecided."""
    body = ('import re\nIMAGE = "mcr.microsoft.com/x:1"\nsp = {"--a": 1}\nhit = re.match(r"{pattern}", {text})\n'
            'if hit:\n    sp["--b"] = 2\n' + CALL.format("script_params=sp"))
    decided = HEAD + body.replace("{pattern}", r"^((\w+).azurecr.io)/(.*)").replace("{text}", "IMAGE") + SUBMIT
    result = migrate_source(decided)
    assert result.migrated == 1 and '"--b"' not in result.code.split("est = ScriptRunConfig(")[1], result.code
    assert_oracle_equal(decided, result.code, tmp_path / "job")
    hostile = HEAD + body.replace("{pattern}", "(a+)+$").replace("{text}", repr("a" * 28 + "!")) + SUBMIT
    result = migrate_source(hostile)
    # Undecided, so either path may run: the dict is flattened as it is at the call, "--b" kept
    # only where the branch put it (the oracle would run the regex: it is not run here).
    assert result.migrated == 1 and '*(["--b", 2] if "--b" in sp else [])' in result.code, result.code
