"""The `# estimig:` comments: short, coded, replaced on every run so they stay true, and silenced
by `# estimig: ignore[...]`; a second run is a fixed point whatever options the first had."""

from __future__ import annotations

import itertools
import re

import pytest
from fixture_support import scenarios

from estimig import comments
from estimig.engine import migrate_source
from estimig.options import Options

HEADER = "from azureml.core import Experiment, Workspace\nfrom azureml.train.estimator import Estimator\n" \
         "from azureml.train.dnn import Mpi, PyTorch\n\nws = Workspace.from_config()\nexp = Experiment(ws, 'x')\n"
# One file with a call each option combination decides differently: plain, environment, arguments,
# distributed, a later use, an unprovable one, and a class used as a value.
MIXED = HEADER + """\
plain = Estimator(source_directory='src', entry_script='train.py', compute_target='cpu')
exp.submit(plain)
pkgs = Estimator(source_directory='src', entry_script='train.py', compute_target='cpu', pip_packages=['numpy'])
exp.submit(pkgs)
args = Estimator(source_directory='src', entry_script='train.py', compute_target='cpu', script_params={'--lr': 0.1})
exp.submit(args)
dist = PyTorch(source_directory='src', entry_script='train.py', compute_target='gpu', framework_version='1.6',
               node_count=2, distributed_training=Mpi(process_count_per_node=2))
exp.submit(dist)
unknown = Estimator(**settings)
kinds = {'plain': Estimator}
"""

COMBINATIONS = {
    "default": Options.create(),
    "only-core-environment": Options.create(only=("core", "environment")),
    "skip-arguments": Options.create(skip=("arguments",)),
    "skip-uses": Options.create(skip=("uses",)),
    "skip-distributed": Options.create(skip=("distributed",)),
    "without-environment": Options.create(only=("core", "arguments", "uses")),
    "curated": Options.create(environment="curated"),
    "comments-none": Options.create(comments="none"),
    "assume-all": Options.create(assume=["all"]),
    "cached-image": Options.create(environment="cached-image"),
}

# Real shapes: the example project's files and a few fixtures estimig leaves or migrates in part.
SOURCES = {"mixed": MIXED, **{s.id: s.before for s in scenarios() if not s.is_notebook and s.id in {
    "core/in_functions_loops_and_methods", "uses/noop_estimator_passed_to_helper",
    "combined/pytorch_dataset_mpi_and_pip_list", "environment/noop_pip_list_shared_by_two_estimators",
    "distributed/noop_backend_chosen_from_dict", "arguments/noop_name_bound_differently_in_branches"}}}


def _owned(code: str) -> list[str]:
    return [line.strip() for line in code.splitlines() if comments.is_owned(line.strip())]


def test_the_sources_are_there():
    assert len(SOURCES) == 7


@pytest.mark.parametrize("first, second", list(itertools.product(COMBINATIONS, repeat=2)))
def test_a_second_run_is_a_fixed_point_and_keeps_no_stale_comment(first, second):
    for name, source in SOURCES.items():
        once = migrate_source(source, options=COMBINATIONS[first]).code
        twice = migrate_source(once, options=COMBINATIONS[second]).code
        assert migrate_source(twice, options=COMBINATIONS[second]).code == twice, (name, first, second)
        if first == second:
            assert twice == once, (name, first)
        # Every comment left is one the second run's options would write on the original: none is
        # stale, whatever the first run wrote.
        direct = _owned(migrate_source(source, options=COMBINATIONS[second]).code)
        assert set(_owned(twice)) <= set(direct), (name, first, second, _owned(twice), direct)


NOTEBOOKS = [s for s in scenarios() if s.id in {"combined/notebook_keras_dataset_hyperdrive",
                                                  "uses/notebook_estimator_chosen_in_if_else"}]


@pytest.mark.parametrize("first", list(COMBINATIONS))
def test_a_notebook_s_second_run_is_a_fixed_point(first):
    from estimig.runner import migrate_notebook_text

    assert len(NOTEBOOKS) == 2
    for scenario in NOTEBOOKS:
        for second in ("default", "without-environment", "comments-none"):
            once = migrate_notebook_text(scenario.before, "nb.ipynb", COMBINATIONS[first])[0].code
            twice = migrate_notebook_text(once, "nb.ipynb", COMBINATIONS[second])[0].code
            again = migrate_notebook_text(twice, "nb.ipynb", COMBINATIONS[second])[0].code
            assert again == twice, (scenario.id, first, second)


def test_the_combinations_decide_the_mixed_file_differently():
    # Otherwise the fixed-point test above would prove nothing about stale comments.
    outputs = {migrate_source(MIXED, options=o).code for o in COMBINATIONS.values()}
    assert len(outputs) >= 5


def test_a_call_migrated_later_loses_its_comment():
    left = migrate_source(MIXED, options=COMBINATIONS["without-environment"]).code
    assert "# estimig: EST110" in left
    migrated = migrate_source(left).code
    assert "EST110" not in migrated and "pkgs = ScriptRunConfig(" in migrated


@pytest.mark.parametrize("name", list(SOURCES))
def test_no_inserted_comment_is_longer_than_120_characters(name):
    for options in COMBINATIONS.values():
        code = migrate_source(SOURCES[name], options=options).code
        assert all(len(line) <= comments.MAX_COMMENT for line in _owned(code)), name
        for line in _owned(code):
            assert re.match(r"# estimig: EST\d{3} \S", line), line
            assert line.lower().count("by hand") <= 1, line  # never the same advice twice


def test_comments_of_earlier_versions_are_replaced():
    old = ("# estimig: left as an Estimator: the call unpacks **settings: estimig cannot see which arguments it "
           "passes. Migrate it by hand (docs/manual.md).\n")
    code = migrate_source(HEADER + old + "unknown = Estimator(**settings)\n").code
    assert "left as an Estimator: the call unpacks" not in code
    assert _owned(code) == ["# estimig: EST101 the call unpacks **settings: estimig cannot see which arguments it passes"]


def test_user_comments_and_assumptions_survive():
    source = HEADER + ("# my note about this job\n# estimig: assumes compute_target is an AmlCompute cluster\n"
                       "unknown = Estimator(**settings)\n")
    code = migrate_source(source).code
    assert "# my note about this job\n# estimig: assumes compute_target is an AmlCompute cluster\n" in code
    assert migrate_source(code).code == code


def test_comments_none_migrates_and_writes_no_comment_but_reports():
    result = migrate_source(MIXED, options=COMBINATIONS["comments-none"])
    assert "# estimig:" not in result.code and "plain = ScriptRunConfig(" in result.code
    assert {"EST101", "EST120"} <= {f.code for f in result.findings}
    # ... and removes the comments an earlier run wrote.
    commented = migrate_source(MIXED).code
    assert "# estimig:" not in migrate_source(commented, options=COMBINATIONS["comments-none"]).code


# --- suppression --------------------------------------------------------------------------------


@pytest.mark.parametrize("comment", ["# estimig: ignore", "# estimig: ignore[EST101]", "# estimig: ignore[EST103, EST101]"])
def test_ignore_leaves_an_unmigratable_call_alone_silently(comment):
    for source in (HEADER + f"unknown = Estimator(**settings)  {comment}\n",
                   HEADER + f"{comment}\nunknown = Estimator(**settings)\n",
                   HEADER + f"unknown = Estimator(  {comment}\n    **settings,\n)\n"):
        result = migrate_source(source)
        assert result.code == source and not result.findings
        assert (result.left, result.suppressed) == (0, 1)


def test_bare_ignore_leaves_even_a_migratable_call_alone():
    source = HEADER + "plain = Estimator(source_directory='src', entry_script='train.py')  # estimig: ignore\n" \
                      "exp.submit(plain)\n"
    result = migrate_source(source)
    assert result.code == source and result.migrated == 0 and not result.findings


def test_ignore_of_another_code_does_not_silence():
    source = HEADER + "unknown = Estimator(**settings)  # estimig: ignore[EST103]\n"
    result = migrate_source(source)
    assert [f.code for f in result.findings] == ["EST101"] and "# estimig: EST101" in result.code
    # ... and a call that migrates now is migrated, its suppression of a code that no longer applies kept.
    fixed = HEADER + "plain = Estimator(source_directory='src', entry_script='train.py')  # estimig: ignore[EST103]\n" \
                     "exp.submit(plain)\n"
    assert "plain = ScriptRunConfig(" in migrate_source(fixed).code


def test_ignore_removes_the_comment_an_earlier_run_wrote():
    commented = migrate_source(HEADER + "unknown = Estimator(**settings)\n").code
    silenced = commented.replace("Estimator(**settings)", "Estimator(**settings)  # estimig: ignore")
    result = migrate_source(silenced)
    assert "EST101" not in result.code and not result.findings
    assert migrate_source(result.code).code == result.code


def test_silenced_calls_are_counted_in_the_reports():
    from estimig.reports import render
    from estimig.result import FileResult

    source = HEADER + "unknown = Estimator(**settings)  # estimig: ignore\n"
    run = [FileResult("job.py", source, migrate_source(source))]
    assert "| Estimator calls left alone by `# estimig: ignore` | 1 |" in render(run, "markdown")
    assert '"suppressed": 1' in render(run, "json")


@pytest.mark.parametrize("code", [
    "class MyEstimator(Estimator):  # estimig: ignore[EST120]\n    pass\n",
    "# estimig: ignore\nclass MyEstimator(Estimator):\n    pass\n",
    "kinds = {'plain': Estimator}  # estimig: ignore\n",
])
def test_ignore_silences_a_class_used_other_than_by_calling_it(code):
    result = migrate_source(HEADER + code)
    assert result.code == HEADER + code and not result.findings


def test_an_ignore_in_a_class_body_is_not_the_class_s():
    code = HEADER + "class MyEstimator(Estimator):\n    x = 1  # estimig: ignore\n"
    assert [f.code for f in migrate_source(code).findings] == ["EST120"]


def test_an_ignore_comment_separated_by_a_blank_line_is_not_the_call_s():
    source = HEADER + "# estimig: ignore\n\nunknown = Estimator(**settings)\n"
    assert [f.code for f in migrate_source(source).findings] == ["EST101"]


@pytest.mark.parametrize("text, codes", [
    ("# estimig: ignore", comments.ALL),
    ("#estimig: ignore[EST101]", frozenset({"EST101"})),
    ("# estimig: ignore[EST101,EST110]  # legacy job", frozenset({"EST101", "EST110"})),
    ("# estimig: ignored", None),
    ("# estimig: ignore[all]", None),
    ("# estimig: EST101 the call unpacks **kw", None),
])
def test_suppression_parsing(text, codes):
    assert comments.suppression(text) == codes


@pytest.mark.parametrize("text, owned", [
    ("# estimig: EST103 pip_packages=pkgs: estimig cannot prove what the list holds", True),
    ("# estimig: left as an Estimator: x. Migrate it by hand (docs/manual.md).", True),
    ("# estimig: class 'My' subclasses an estimator class (docs/manual.md).", True),
    ("# estimig: ignore[EST103]", False),
    ("# estimig: assumes compute_target is an AmlCompute cluster", False),
    ("# estimig: assumes compute_target is an AmlCompute cluster (docs/manual.md).", False),
    ("# my own note about estimig", False),
])
def test_ownership(text, owned):
    assert comments.is_owned(text) is owned


def test_a_long_reason_becomes_the_code_s_summary_and_hints_go_to_the_report():
    long = "x" * 150
    assert comments.inline("EST103", long) == f"# estimig: EST103 {comments.rules.RULES['EST103'].summary}"
    hinted = "compute_target=target: estimig cannot tell its kind; run with --assume amlcompute to migrate it"
    assert comments.inline("EST103", hinted) == \
        "# estimig: EST103 compute_target=target: estimig cannot tell its kind; run with --assume amlcompute"
    # A hint that does not fit goes; the report keeps the whole reason.
    longer = "compute_target=target: estimig cannot tell what kind of compute target this is at all; " \
             "run with --assume amlcompute to migrate it"
    assert comments.inline("EST103", longer) == \
        "# estimig: EST103 compute_target=target: estimig cannot tell what kind of compute target this is at all"
    assert comments.inline("EST103", "make it a literal, then run estimig again") == "# estimig: EST103 make it a literal"


def test_a_reason_quoting_code_over_several_lines_makes_a_one_line_comment():
    from estimig.comments import inline

    text = inline("EST103", 'conda_dependencies_file=os.path.join(\n    here,\n    "conda.yml"\n): estimig cannot prove it')
    assert "\n" not in text and 'os.path.join( here, "conda.yml" )' in text
