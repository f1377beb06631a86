"""Strategies for the `datasets` concern: DatasetConsumptionConfig values in script_params and
`inputs`, built from the preamble's `dataset` (a FileDataset).

script_params belongs to the arguments strategy too; when this one draws it, it mixes dataset
values with plain ones, so the property sees both together.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Input names are drawn from a small set so that clashes (which estimig must refuse) happen too.
_names = st.sampled_from(['"train"', '"test"', "'images'"])
DATASET_VALUES = st.one_of(
    st.just("dataset.as_mount()"),
    st.just("dataset.as_download()"),
    _names.map(lambda n: f"dataset.as_named_input({n})"),
    _names.map(lambda n: f"dataset.as_named_input({n}).as_mount()"),
    _names.map(lambda n: f'dataset.as_named_input({n}).as_download(path_on_compute="/tmp/data")'),
)
PLAIN_VALUES = st.sampled_from(["0.1", '""', "None", "3", '"x"', "False"])
_keys = st.sampled_from(['"--data"', '"--train"', '"--test"', '"--lr"', '"--epochs"'])


def script_params(values) -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(_keys, values), min_size=1, max_size=4, unique_by=lambda kv: kv[0])
    return pairs.map(lambda ps: "{" + ", ".join(f"{k}: {v}" for k, v in ps) + "}")


@st.composite
def kwargs(draw, kind):
    drawn: dict[str, str] = {}
    if draw(st.booleans()):
        drawn["script_params"] = draw(script_params(st.one_of(DATASET_VALUES, PLAIN_VALUES)))
    if draw(st.booleans()):
        items = draw(st.lists(DATASET_VALUES, max_size=3))
        drawn["inputs"] = "[" + ", ".join(items) + "]"
    return drawn
