"""Distributed-training arguments: node_count, process_count_per_node, distributed_backend,
distributed_training (Mpi, Gloo, Nccl, ParameterServer, MpiConfiguration, TensorflowConfiguration),
worker_count, parameter_server_count. Only combinations the estimator accepts are drawn."""

from hypothesis import strategies as st

# Forms each estimator class accepts (`_SUPPORTED_BACKENDS`, `_supported_frameworks` in the SDK).
FORMS = {
    "Estimator": ("none", "mpi", "Mpi", "MpiConfiguration", "Gloo", "Nccl", "ParameterServer"),
    "PyTorch": ("none", "mpi", "gloo", "nccl", "Mpi", "MpiConfiguration", "Gloo", "Nccl"),
    "TensorFlow": ("none", "mpi", "ps", "Mpi", "MpiConfiguration", "ParameterServer", "TensorflowConfiguration"),
    "Chainer": ("none", "mpi", "Mpi", "MpiConfiguration"),
}
_counts = st.sampled_from(["1", "2", "3"])


@st.composite
def kwargs(draw, kind):
    forms = FORMS.get(kind)
    if not forms:
        return {}
    form = draw(st.sampled_from(forms))
    found: dict[str, str] = {}
    # cli.nodes (2) and int(cli.node_text) (1) are only known at run time.
    nodes = draw(st.sampled_from([None, "1", "2", "4", "cli.nodes", "int(cli.node_text)"]))
    if form == "none":
        # Without a backend the estimator only accepts single-node, single-process counts.
        if draw(st.booleans()):
            found["node_count"] = "1"
        if draw(st.booleans()):
            found["process_count_per_node"] = "1"
        if kind == "TensorFlow" and draw(st.booleans()):
            found["worker_count"] = draw(_counts)  # ignored without distributed_backend="ps"
        return found
    if nodes is not None:
        found["node_count"] = nodes
        if nodes != "1":
            # node_count > 1 needs an AmlCompute target: the estimator rejects a target name.
            found["compute_target"] = "cluster"
    if form in ("mpi", "gloo", "nccl", "ps"):
        found["distributed_backend"] = repr(draw(st.sampled_from([form, form.upper()])))
        if form == "mpi" and draw(st.booleans()):
            found["process_count_per_node"] = draw(_counts)
        if form == "ps":
            for name in ("worker_count", "parameter_server_count"):
                if draw(st.booleans()):
                    found[name] = draw(_counts)
        return found
    if form == "Mpi":
        found["distributed_training"] = draw(st.sampled_from(["Mpi()", "Mpi(2)", "Mpi(process_count_per_node=4)"]))
    elif form == "MpiConfiguration":
        args = []
        if draw(st.booleans()):
            args.append(f"process_count_per_node={draw(_counts)}")
        if draw(st.booleans()):
            args.append(f"node_count={nodes or '1'}")
        found["distributed_training"] = f"MpiConfiguration({', '.join(args)})"
    elif form in ("Gloo", "Nccl"):
        found["distributed_training"] = f"{form}()"
    else:
        args = [f"{name}={draw(_counts)}" for name in ("worker_count", "parameter_server_count") if draw(st.booleans())]
        found["distributed_training"] = f"{form}({', '.join(args)})"
    if draw(st.booleans()) and form != "MpiConfiguration":
        # Ignored by the estimator next to distributed_training: it only counts with a string backend.
        found["process_count_per_node"] = "1"
    return found
