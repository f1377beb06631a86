from hypothesis import strategies as st

_keys = st.sampled_from(['"--lr"', '"--epochs"', '"--flag"', '"--data"', '"-v"', '""', "'--name'"])
_scalars = st.one_of(
    st.integers(min_value=-3, max_value=100).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.sampled_from(['""', "None", "True", "False", '"x"', "'a b'", "0", "0.0"]),
)
# Only known at run time, and may be '' (cli.tag is): kept where not '', as the estimator did. Never
# inside a list (whose items must be literals) and kept out of _values, which the flow property
# folds into dicts it expects to migrate.
_run_time = st.sampled_from(["cli.tag", "cli.name", 'f"{cli.tag}"', "str(cli.name)"])
_values = st.one_of(_scalars, st.lists(_scalars, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
                    st.lists(_scalars, max_size=3).map(lambda xs: "(" + "".join(x + ", " for x in xs) + ")"))


@st.composite
def kwargs(draw, kind):
    if not draw(st.booleans()):
        return {}
    pairs = draw(st.lists(st.tuples(_keys, st.one_of(_values, _run_time)), max_size=5,
                          unique_by=lambda kv: eval(kv[0])))
    return {"script_params": "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"}
