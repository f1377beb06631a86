"""Named assumptions: facts that are not in the source, which the user may ask estimig to take as given.

By default estimig migrates only what it proves. Each assumption below unlocks the calls whose one
missing fact it states, only when the user names it (`--assume NAME`, `--assume all`, or
`[tool.estimig] assume = [...]`). A call migrated on an assumption carries
`# estimig: assumes <statement>` above its statement and an info finding of its own kind, so the
assumption stays visible where it was made. The docs section of each (docs/assumptions.md) is kept
in step with this registry by tests/test_assumptions.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from estimig.result import Finding, Severity


@dataclass(frozen=True)
class Assumption:
    name: str
    statement: str  # one sentence, written on the migrated line: "assumes <statement>"
    concerns: tuple[str, ...]  # the concerns that use it


# The names, for the concerns that use them.
AMLCOMPUTE, SCALARS, DATASET, PACKAGE_LIST = "amlcompute-target", "scalar-script-params", "dataset-consumption", \
    "package-list"
NONEMPTY_IMAGE, HANDOFF, EXPERIMENT_SUBMIT, LAST_WINS = "nonempty-image", "estimator-handoff", "experiment-submit", \
    "last-argument-wins"
PYTHON_ENTRY, READ_ONLY_MOUNT, V1_RUN = "python-entry-script", "read-only-mount", "v1-run-of-the-job"
DASHED, CONTAINER = "dashed-sampled-names", "runs-in-a-container"

ASSUMPTIONS: dict[str, Assumption] = {a.name: a for a in (
    Assumption(AMLCOMPUTE, "the compute target is an AmlCompute cluster", ("core", "environment")),
    Assumption(SCALARS, "script_params values not visible here are non-empty scalars "
               "(not None, '', a list or data)", ("arguments",)),
    Assumption(DATASET, "x.as_mount() / x.as_download() on an x not visible here is a dataset "
               "consumption", ("datasets", "arguments")),
    Assumption(PACKAGE_LIST, "a pip or conda package list not visible here is a non-empty list of package strings",
               ("environment",)),
    Assumption(NONEMPTY_IMAGE, "custom_docker_image, not visible here, is a non-empty image name",
               ("environment",)),
    Assumption(HANDOFF, "code not visible here only submits the estimator, so a ScriptRunConfig "
               "serves it as well", ("uses",)),
    Assumption(EXPERIMENT_SUBMIT, "the estimator, not submitted here, is submitted with Experiment.submit",
               ("distributed",)),
    Assumption(PYTHON_ENTRY, "the entry script, not visible here, is a Python file, not a notebook (.ipynb)",
               ("environment",)),
    Assumption(LAST_WINS, "the entry script takes the last value of a repeated option, as argparse "
               "does", ("arguments",)),
    # --target v2 only: a v1 mount of a datastore path was writable, a v2 input mount is read-only.
    Assumption(READ_ONLY_MOUNT, "the job only reads the datastore paths it mounts, which a v2 input mounts "
               "read-only", ("datasets",)),
    # --target v2 only: the run's later uses (get_metrics, register_model, ...) have no v2 Job form.
    Assumption(V1_RUN, "SDK v1's Run (HyperDriveRun for a sweep) reads the v2 job by name as it read submit's run",
               ("core", "uses")),
    # --target v2 only: how HyperDrive wrote a sampled name without dashes is the service's, not the SDK's.
    Assumption(DASHED, "HyperDrive passed a sampled parameter named without dashes to the script as --<name>",
               ("uses",)),
    # --target v2 only: every v2 job runs in a container; use_docker=False ran on the compute's own OS.
    Assumption(CONTAINER, "the job, run without Docker (use_docker=False), runs the same in a container",
               ("environment",)),
)}

ALL = "all"


def resolve(names) -> frozenset[str]:
    """The assumption names a user asked for, `all` expanded; an unknown name is a ValueError."""
    chosen: set[str] = set()
    for name in names:
        if name == ALL:
            chosen |= set(ASSUMPTIONS)
        elif name in ASSUMPTIONS:
            chosen.add(name)
        else:
            raise ValueError(f"unknown assumption '{name}' (known: {', '.join(ASSUMPTIONS)}, or all)")
    return frozenset(chosen)


def as_dataset(value, options, used: set[str]):
    """`value` as a dataset consumption when its shape says so and the user assumes that it is
    (dataset-consumption), recording the assumption in `used`; else `value` unchanged."""
    from dataclasses import replace

    from estimig.values import Kind

    if value.kind is Kind.UNKNOWN and value.shape is Kind.DATASET and options.assumes(DATASET):
        used.add(DATASET)
        return replace(value, kind=Kind.DATASET, origin=value.node)
    return value


def relied_on(text: str) -> list[str]:
    """The assumptions a migrated file says it relies on: the names behind its `assumes` comments."""
    from estimig.comments import PREFIX

    found: set[str] = set()
    marker = f"{PREFIX} assumes "
    for line in text.splitlines():
        line = line.strip().strip('",').replace('\\"', '"')  # a notebook's JSON line holds the comment too
        if line.startswith(marker):
            statements = line[len(marker):].removesuffix("\\n")
            found |= {a.name for a in ASSUMPTIONS.values()
                      if a.statement in statements or re.search(rf"(^|, ){re.escape(a.name)}(,|\s|$)", statements)}
    return ordered(found)


def hint(name: str) -> str:
    """What a refusal that this assumption would lift ends with, so users learn the option."""
    return f"run with --assume {ASSUMPTIONS[name].name} to migrate it"


def ordered(names) -> list[str]:
    return [name for name in ASSUMPTIONS if name in set(names)]


def comment(names) -> str:
    """The line above a call migrated on assumptions: their statements, or their names when the
    statements would make the line longer than MAX_COMMENT."""
    from estimig.comments import MAX_COMMENT, PREFIX  # here: resolving names must not import LibCST

    names = ordered(names)
    text = f"{PREFIX} assumes {'; '.join(ASSUMPTIONS[n].statement for n in names)}"
    if len(text) <= MAX_COMMENT:
        return text
    return f"{PREFIX} assumes {', '.join(names)} (see estimig rewrite --list-assumptions)"


def finding(line: int, column: int, kind: str, names) -> Finding:
    names = tuple(ordered(names))
    statements = "; ".join(ASSUMPTIONS[n].statement for n in names)
    from estimig.rules import ASSUMED

    return Finding(line, Severity.INFO, "assumptions",
                   f"{kind}(...) migrated on {'an assumption' if len(names) == 1 else 'assumptions'} "
                   f"({', '.join(names)}): {statements}", column=column, code=ASSUMED, assumptions=names)
