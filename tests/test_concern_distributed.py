"""distributed: every form the estimator accepts gives an oracle-equal ScriptRunConfig; every form
estimig cannot prove is left alone with a reason that says why."""

from __future__ import annotations

import pytest
from strategies.preamble import program

from estimig.engine import migrate_source
from fixture_support import assert_oracle_equal
from estimig.result import Severity

# (kind, estimator keyword arguments): one per form, with and without several nodes.
FORMS = [
    ("Estimator", {"compute_target": "cluster", "node_count": "2", "distributed_backend": "'mpi'",
                   "process_count_per_node": "4"}),
    ("Estimator", {"compute_target": "cluster", "distributed_backend": "'mpi'"}),
    ("Estimator", {"compute_target": "cluster", "node_count": "3", "distributed_training": "Mpi(2)"}),
    ("Estimator", {"compute_target": "cluster", "distributed_training": "Mpi()"}),
    ("Estimator", {"compute_target": "cluster", "node_count": "2",
                   "distributed_training": "MpiConfiguration(process_count_per_node=2)"}),
    ("Estimator", {"compute_target": "cluster", "node_count": "2",
                   "distributed_training": "MpiConfiguration(node_count=2)"}),
    ("Estimator", {"compute_target": "cluster", "distributed_training": "MpiConfiguration(node_count=3)"}),
    ("Estimator", {"compute_target": "cluster", "node_count": "2", "distributed_training": "Gloo()"}),
    ("Estimator", {"compute_target": "cluster", "distributed_training": "Nccl()"}),
    ("Estimator", {"compute_target": "cluster", "node_count": "2",
                   "distributed_training": "ParameterServer(worker_count=2, parameter_server_count=2)"}),
    ("Estimator", {"compute_target": "cluster", "distributed_training": "ParameterServer()"}),
    ("Estimator", {"vm_size": "'Standard_NC6'", "node_count": "2", "distributed_backend": "'mpi'"}),
    ("PyTorch", {"compute_target": "cluster", "node_count": "2", "distributed_backend": "'nccl'"}),
    ("PyTorch", {"compute_target": "cluster", "distributed_backend": "'Gloo'"}),
    ("PyTorch", {"compute_target": "cluster", "node_count": "2", "distributed_training": "Nccl()",
                 "process_count_per_node": "2"}),
    ("TensorFlow", {"compute_target": "cluster", "node_count": "2", "distributed_backend": "'ps'",
                    "worker_count": "3"}),
    ("TensorFlow", {"compute_target": "cluster", "distributed_training": "TensorflowConfiguration(worker_count=2)"}),
    ("TensorFlow", {"compute_target": "cluster", "node_count": "2", "distributed_training": "ParameterServer()"}),
    ("Chainer", {"compute_target": "cluster", "node_count": "2", "distributed_training": "Mpi(4)"}),
]


def _program(kind, kwargs):
    return program(kind, {"source_directory": "'src'", "entry_script": "'train.py'", **kwargs})


@pytest.mark.parametrize("kind,kwargs", [pytest.param(k, a, id=f"{k}-{'-'.join(f'{n}={v}' for n, v in a.items())}")
                                         for k, a in FORMS])
def test_form_is_oracle_equal(kind, kwargs, tmp_path):
    source = _program(kind, kwargs)
    result = migrate_source(source)
    assert result.migrated == 1, result.findings
    assert "distributed_backend" not in result.code and "distributed_training" not in result.code
    assert migrate_source(result.code).code == result.code
    assert_oracle_equal(source, result.code, tmp_path)


BLOCKED = [
    ({"node_count": "2", "distributed_training": '{"nccl": Nccl(), "gloo": Gloo()}[backend]'}, "chooses the backend at run time"),
    ({"node_count": "args.nodes", "distributed_training": "Mpi()"}, "node_count=args.nodes is not a literal integer"),
    ({"node_count": "2", "distributed_training": "PyTorchConfiguration(node_count=2)"}, "ignores distributed_training=PyTorchConfiguration"),
    ({"node_count": "2", "distributed_training": "TensorflowConfiguration()"}, "Estimator ignores distributed_training=TensorflowConfiguration"),
    ({"distributed_backend": "'mpi'", "distributed_training": "Mpi()"}, "both distributed_backend and distributed_training"),
    ({"node_count": "2", "distributed_backend": "'gloo'"}, "does not support distributed_backend='gloo'"),
    ({"distributed_backend": "backend"}, "is not a literal string"),
    ({"node_count": "2"}, "without distributed_backend or distributed_training"),
    ({"node_count": "2", "distributed_backend": "'mpi'", "source_directory_data_store": "store"},
     "cannot prove whether source_directory_data_store=store is None"),
]


@pytest.mark.parametrize("kwargs,reason", [pytest.param(a, r, id=r) for a, r in BLOCKED])
def test_left_alone_with_reason(kwargs, reason):
    source = _program("Estimator", {"compute_target": "cluster", **kwargs}).replace(
        "\nest = ", "\nfrom azureml.core.runconfig import PyTorchConfiguration\nbackend = input()\nstore = input()\nest = ")
    result = migrate_source(source)
    assert result.migrated == 0
    assert any(reason in f.message for f in result.findings), [f.message for f in result.findings]


def test_multinode_estimator_handed_to_something_else_is_left_alone():
    source = _program("Estimator", {"compute_target": "cluster", "node_count": "2", "distributed_backend": "'mpi'"})
    source += "configs = [est]\n"
    result = migrate_source(source)
    assert result.migrated == 0
    assert any("gets the estimator without that" in f.message or "'est'" in f.message for f in result.findings)


def test_ignored_counts_are_dropped_with_a_note():
    source = _program("TensorFlow", {"compute_target": "cluster", "worker_count": "4"})
    result = migrate_source(source)
    assert result.migrated == 1
    notes = [f for f in result.findings if f.concern == "distributed"]
    assert notes and notes[0].severity is Severity.INFO and "worker_count dropped" in notes[0].message


def test_no_distribution_arguments_no_plan():
    import libcst as cst
    from estimig.codemods import distributed

    from estimig.facts import collect

    facts = collect(cst.parse_module(_program("Estimator", {"compute_target": "cluster"})))
    plan = distributed.plan(facts.calls[0], None)
    assert not plan.arguments and not plan.after and plan.blocked is None
