"""Environment arguments for the property test: packages, images, GPU, Docker, variables, framework versions.

Only combinations the SDK accepts are drawn (it raises on, e.g., packages beside user_managed=True
or beside environment_definition), so every program runs.
"""

from estimig.codemods.environment import frameworks
from hypothesis import strategies as st

_PIP = ['"pandas"', '"scikit-learn==0.24.2"', '"torchvision"', '"pillow>=8.0"', '"azureml-dataprep[pandas]"',
        '"horovod==0.19.5"', '"azureml-defaults"', '"joblib"']
_CONDA = ['"numpy"', '"scipy=1.5"', '"matplotlib"', '"joblib"']
_IMAGES = ['"mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04"', '"myregistry.azurecr.io/train:1.0"']


def _list(pool):
    return st.lists(st.sampled_from(pool), max_size=3).map(lambda items: "[" + ", ".join(items) + "]")


@st.composite
def kwargs(draw, kind):
    found: dict[str, str] = {}
    framework = kind != "Estimator"
    if framework and draw(st.booleans()):
        found["framework_version"] = repr(draw(st.sampled_from(sorted(frameworks()["frameworks"][kind]["versions"]))))
    if draw(st.integers(0, 5)) == 0 and "environment" in _preamble_names():
        found["environment_definition"] = "environment"
    else:
        packages = draw(st.booleans())
        if packages:
            if draw(st.booleans()):
                found["pip_packages"] = draw(_list(_PIP))
            if draw(st.booleans()):
                found["conda_packages"] = draw(_list(_CONDA))
        elif draw(st.integers(0, 3)) == 0:
            found["user_managed"] = draw(st.sampled_from(["True", "False"]))
        if kind != "SKLearn" and draw(st.booleans()):
            found["use_gpu"] = draw(st.sampled_from(["True", "False"]))
        image = draw(st.integers(0, 4))
        if image == 0:
            found["custom_docker_image"] = draw(st.sampled_from(_IMAGES))
        elif image == 1 and kind != "SKLearn":
            found["custom_docker_base_image"] = draw(st.sampled_from(_IMAGES))
        if draw(st.integers(0, 3)) == 0:
            found["shm_size"] = draw(st.sampled_from(['"8g"', '"2g"', "None"]))
        if draw(st.integers(0, 3)) == 0:
            found["environment_variables"] = draw(st.sampled_from(['{"MESSAGE": "hello"}', "None", "{}"]))
        if draw(st.integers(0, 3)) == 0:
            has_image = "custom_docker_image" in found or "custom_docker_base_image" in found
            found["use_docker"] = "True" if has_image else draw(st.sampled_from(["True", "False"]))
    return found


def _preamble_names():
    from strategies.preamble import PREAMBLE

    return {line.split(" = ")[0] for line in PREAMBLE.splitlines() if " = " in line}
