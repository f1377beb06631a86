"""environment: pip_packages=, conda_packages=, custom_docker_image=, use_gpu=, ... -> environment=Environment(...).

Every estimator builds an environment and a Docker setting even when given no environment
argument, so this concern takes part in every call.
"""

from __future__ import annotations

from estimig.facts import EstimatorCall
from estimig.plan import CallPlan, NewArg

NAME = "environment"
SUMMARY = "pip/conda packages, requirement files, Docker images, GPU, framework versions -> one Environment; use_docker/shm_size -> DockerConfiguration"
HANDLES = frozenset()


def plan(call: EstimatorCall, options) -> CallPlan:
    if call.kind != "Estimator":
        return CallPlan(NAME, blocked=f"{call.kind} builds a framework environment, which estimig does not migrate yet")
    # The estimator's default: Docker on, the SDK's default CPU image and conda dependencies, which
    # is also what a ScriptRunConfig's default environment holds.
    return CallPlan(NAME, arguments=(NewArg("docker_runtime_config", code="DockerConfiguration(use_docker=True)"),),
                    imports=frozenset({("azureml.core.runconfig", "DockerConfiguration")}))
