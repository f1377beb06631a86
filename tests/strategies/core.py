from hypothesis import strategies as st

_sources = st.sampled_from(['"src"', '"./src"', "'src'"])
_scripts = st.sampled_from(['"train.py"', "'train.py'"])


@st.composite
def kwargs(draw, kind):
    found = {"source_directory": draw(_sources), "entry_script": draw(_scripts)}
    target = draw(st.sampled_from(["cluster", '"cpu-cluster"', "vm"]))
    if target == "vm":
        found["vm_size"] = draw(st.sampled_from(['"STANDARD_D2_V2"', '"Standard_NC6"']))
        if draw(st.booleans()):
            found["vm_priority"] = draw(st.sampled_from(['"dedicated"', '"lowpriority"']))
    else:
        found["compute_target"] = target
    if draw(st.booleans()):
        found["max_run_duration_seconds"] = draw(st.sampled_from(["None", "600", "3600 * 24"]))
    return found
