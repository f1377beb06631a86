"""How many processes a job has, on which emulated node, with which variables (as Azure ML sets them).

A `LaunchPlan` is backend-neutral: each `NodePlan` lists its processes (argv + the variables that
differ between ranks); the backend decides what "node" means (a folder and a process group, or a
container) and what the master's address is.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field

from estimig.runtime.spec import JobSpec

MPI_MASTER_PORT = 6105  # fixed in Azure ML's AZ_BATCH_MASTER_NODE


@dataclass
class ProcessPlan:
    name: str  # stable id: rank0, worker1, ps0
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class NodePlan:
    rank: int
    processes: list[ProcessPlan]
    # For MPI: one `mpirun` launches every rank; it runs on node 0.
    mpi: bool = False


@dataclass
class LaunchPlan:
    nodes: list[NodePlan]
    env: dict[str, str]  # variables every process gets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plan_launch(spec: JobSpec, command: list[str], node_address) -> LaunchPlan:
    """`command` is the job's argv (interpreter, script, arguments); `node_address(n)` a host name."""
    dist = spec.distribution
    env: dict[str, str] = {}
    if dist.kind == "none":
        return LaunchPlan([NodePlan(0, [ProcessPlan("rank0", command)])], env)

    v1 = spec.platform == "v1"  # v1's Batch AI variables; v2's launcher sets only the standard ones
    if dist.kind == "mpi":
        total = dist.process_count
        if v1:
            env["AZ_BATCH_MASTER_NODE"] = f"{node_address(0)}:{MPI_MASTER_PORT}"
            env["AZ_BATCHAI_MPI_MASTER_NODE"] = node_address(0)
        launcher = ["mpirun", "-np", str(total), "--oversubscribe", "--allow-run-as-root", "--bind-to", "none", *command]
        return LaunchPlan([NodePlan(0, [ProcessPlan("mpirun", launcher)], mpi=True)], env)

    if dist.kind == "pytorch":
        port = free_port()
        env.update(MASTER_ADDR=node_address(0), MASTER_PORT=str(port), WORLD_SIZE=str(dist.process_count))
        if v1:
            env["AZ_BATCHAI_PYTORCH_INIT_METHOD"] = f"tcp://{node_address(0)}:{port}"
        nodes = []
        for node in range(dist.node_count):
            processes = []
            for local in range(dist.process_count_per_node):
                rank = node * dist.process_count_per_node + local
                processes.append(
                    ProcessPlan(
                        f"rank{rank}",
                        command,
                        {"RANK": str(rank), "LOCAL_RANK": str(local), "NODE_RANK": str(node),
                         **({"AZ_BATCHAI_TASK_INDEX": str(node)} if v1 else {})},
                    )
                )
            nodes.append(NodePlan(node, processes))
        return LaunchPlan(nodes, env)

    if dist.kind == "tensorflow":
        # One node per task, as Azure ML schedules parameter-server jobs.
        roles = [("ps", i) for i in range(dist.parameter_server_count)] + [
            ("worker", i) for i in range(dist.worker_count)
        ]
        addresses = {role: [] for role in ("ps", "worker")}
        for node, (role, index) in enumerate(roles):
            addresses[role].append(f"{node_address(node)}:{free_port()}")
        cluster = {role: hosts for role, hosts in addresses.items() if hosts}
        nodes = []
        for node, (role, index) in enumerate(roles):
            tf_config = {"cluster": cluster, "task": {"type": role, "index": index}, "environment": "cloud"}
            nodes.append(NodePlan(node, [ProcessPlan(f"{role}{index}", command, {"TF_CONFIG": json.dumps(tf_config)})]))
        return LaunchPlan(nodes, env)

    raise ValueError(dist.kind)
