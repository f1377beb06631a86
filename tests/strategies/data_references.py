"""Strategies for the `data_references` concern: DataReferences and datastores in script_params
and `inputs`, `source_directory_data_store` and `resume_from`, built from the preamble's
`datastore` (the workspace blob store)."""

from __future__ import annotations

from hypothesis import strategies as st

from strategies.datasets import DATASET_VALUES, PLAIN_VALUES, script_params

REFERENCE_VALUES = st.one_of(
    st.just("datastore"),
    st.just("datastore.as_mount()"),
    st.sampled_from(['"mnist"', '"a/b"', '"./foo"']).map(lambda p: f"datastore.path({p}).as_mount()"),
    st.sampled_from(['"mnist"', '"cifar"']).map(lambda p: f'datastore.path({p}).as_download(path_on_compute="/tmp/x")'),
    st.just('DataReference(datastore=datastore, data_reference_name="named", path_on_datastore="x")'),
)


@st.composite
def kwargs(draw, kind):
    drawn: dict[str, str] = {}
    if draw(st.booleans()):
        drawn["script_params"] = draw(script_params(st.one_of(REFERENCE_VALUES, DATASET_VALUES, PLAIN_VALUES)))
    if draw(st.booleans()):
        items = draw(st.lists(st.one_of(REFERENCE_VALUES, DATASET_VALUES), max_size=3))
        drawn["inputs"] = "[" + ", ".join(items) + "]"
    if draw(st.booleans()):
        drawn["source_directory_data_store"] = "datastore"
    if draw(st.booleans()):
        drawn["resume_from"] = 'DataPath(datastore=datastore, path_on_datastore="checkpoints")'
    return drawn
