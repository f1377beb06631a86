"""environment: pip_packages=, conda_packages=, custom_docker_image=, user_managed=, use_gpu=, framework_version=, environment_variables=, shm_size= -> environment=Environment(image=..., conda_file={...}), environment_variables=, shm_size=.

The v2 Environment is written out as the estimator built its v1 one: the same base image and the
same conda specification, computed here at migration time from the SDK's defaults and framework
scenarios (`estimig/data/frameworks.json`, as the v1 concern uses them) in the order
`_init_run_config` and `_FrameworkBaseEstimator._setup_environment` apply them. A v2 Environment has
no environment variables, so the estimator's own (PyTorch's NCCL_TREE_THRESHOLD=0) go on the job
with the caller's. A framework estimator that ran a private prebuilt image on AmlCompute gets its full
build, as the v1 target's default does. A conda file is the whole specification, named by path
(`_conda_file`); a framework estimator adds only its base image to it. What is left for a later
version (requirement files, environment_definition, registries) leaves the call as it was, with the
reason.
"""

from __future__ import annotations

import json

import libcst as cst

from estimig.codemods.environment import (default_package_names, frameworks, package_name, path_in_source_directory,
                                         run_time_path)
from estimig.assumptions import CONTAINER, hint
from estimig.codemods.v2 import ENTITIES, ENVIRONMENT, Blocked, planner, taken
from estimig.facts import FRAMEWORK_KINDS, EstimatorCall
from estimig.plan import CallPlan, NewArg, finding
from estimig.result import Severity
from estimig.values import Kind, classify, folded_attributes, folded_elements

NAME = "environment"
SUMMARY = "pip/conda packages, Docker image, GPU, framework version -> Environment(image, conda_file); variables and shm_size -> the job"
HANDLES = frozenset({"pip_packages", "conda_packages", "custom_docker_image", "use_gpu", "framework_version",
                     "environment_variables", "shm_size", "use_docker", "user_managed", "conda_dependencies_file",
                     "conda_dependencies_file_path", "image_registry_details"})
# The v1 default (azureml.core.environment._DEFAULT_SHM_SIZE, which the estimator's DockerConfiguration
# falls back to); v2 documents no default, so the job states it (tests/test_v2.py checks the SDK's).
V1_SHM_SIZE = "2g"
# A conda file is the whole specification (`_create_conda_dependencies`): a framework estimator adds
# none of its packages to it, only its base image (`_setup_environment`).
CONDA_FILES = ("conda_dependencies_file", "conda_dependencies_file_path")
NOT_YET = ("pip_requirements_file", "pip_requirements_file_path", "custom_docker_base_image",
           "environment_definition")
# A ContainerRegistry's fields (azureml.core.container_registry): where the image is pulled from, and
# the credentials v1 pulled it with.
_REGISTRY_FIELDS = ("address", "username", "password", "registry_identity")


def _plan(call: EstimatorCall, options) -> CallPlan:
    if call.shape_problem:
        raise Blocked(call.shape_problem)
    given = [name for name in NOT_YET if _given(call, name)]
    if given:
        raise Blocked(f"--target v2 does not migrate {given[0]} yet")
    used = _container(call, options)
    image, spec, prebuilt = _image_and_conda(call)
    if call.statement is None:
        raise Blocked("the environment is built in a statement before the call, but the call is not a statement "
                      "of its own (`est = Estimator(...)`); assign it to a name first")
    # Files that build v1 Environments already bind the name: the v2 class is then named through its module.
    imports, constructor = {ENVIRONMENT}, "Environment"
    if taken(call, imports) is not None:
        imports, constructor = {ENTITIES}, "entities.Environment"
        if taken(call, imports) is not None:
            raise Blocked("the file already binds both 'Environment' and 'entities', which the v2 job needs; rename "
                          "one first")
    env = call.fresh_name("env")
    # user_managed=True: the image's own python runs the script, with no conda environment built on it.
    if spec is None:
        conda = ""
    elif isinstance(spec, str):  # the conda file, which azure-ai-ml reads when the job is built, as v1 did
        conda = f", conda_file={spec}"
    else:
        conda = ", conda_file={\n" + "".join(f"    {json.dumps(k)}: {json.dumps(v)},\n" for k, v in spec.items()) + "}"
    arguments = [NewArg("environment", code=env)]
    variables = _variables(call)
    if variables is not None:
        arguments.append(NewArg("environment_variables", code=variables))
    if call.has("shm_size") and _value(call, "shm_size", default=None) is not None:
        arguments.append(NewArg("shm_size", from_kwarg="shm_size"))
    else:
        arguments.append(NewArg("shm_size", code=json.dumps(V1_SHM_SIZE)))
    findings = ()
    if prebuilt is not None:
        findings = (finding(call.line, NAME, f"{prebuilt}: the v2 environment is the estimator's full build (its "
                            "public base image, python and pinned packages); on AmlCompute the estimator ran a private "
                            "prebuilt copy of it, which v2 cannot name", Severity.INFO),)
    return CallPlan(NAME, handles=HANDLES & set(call.kwargs), arguments=tuple(arguments),
                    before=(f"{env} = {constructor}(image={json.dumps(image)}{conda})",),
                    imports=frozenset(imports), findings=findings, assumes=used)


def _container(call: EstimatorCall, options) -> frozenset[str]:
    """The assumptions the job's container needs: none when the estimator ran in Docker too (its
    default); runs-in-a-container for use_docker=False, where it ran on the compute's own OS with a
    conda environment built from the same specification (not with user_managed: then with the
    compute's own python and packages, which no image holds)."""
    use_docker = _value(call, "use_docker", default=True)
    if use_docker is True:
        return frozenset()
    if use_docker is not False:
        raise Blocked(f"use_docker={call.value_code('use_docker')} is not True or False")
    if _value(call, "user_managed", default=False) is True:
        raise Blocked("use_docker=False with user_managed=True: the script ran with the compute's own python and "
                      "packages, which no v2 image holds")
    reason = "use_docker=False: every v2 job runs in a container, so the job would not run as it did"
    if options is None or not options.assumes(CONTAINER):
        raise Blocked(f"{reason}; {hint(CONTAINER)}")
    return frozenset({CONTAINER})


def _given(call: EstimatorCall, name: str) -> bool:
    """Whether an argument is passed with a value other than a literal None (the estimator's default)."""
    if not call.has(name):
        return False
    value = classify(call, call.kwargs[name].value)
    return not (value.kind is Kind.LITERAL and value.value is None)


def _registry(call: EstimatorCall, image: str | None) -> str | None:
    """The image with the registry it is pulled from, as v1 pulled it: `image_registry_details` is a
    ContainerRegistry built here, its fields set to literals before the call (folded), and the
    service pulled `<address>/<image>` (the image alone for no address). A registry that needs
    credentials leaves the call: a v2 job pulls with the workspace's identity or connections, and has
    no place for a username and password. The image as given when no registry is."""
    from estimig.codemods.distributed import changed_after, other_reads
    from estimig.codemods.environment import _CONTAINER_REGISTRY

    if not _given(call, "image_registry_details"):
        return image
    node = call.kwargs["image_registry_details"].value
    shown = f"image_registry_details={call.code(node)}"
    found = call.definition(node) if isinstance(node, cst.Name) else None
    built = getattr(found, "value", None)
    if not (isinstance(built, cst.Call) and not built.args
            and call.module.qualified_names(built.func) & _CONTAINER_REGISTRY):
        raise Blocked(f"{shown}: estimig cannot see which ContainerRegistry it is (bind it to ContainerRegistry() "
                      "and set its fields to literals before the call)")
    attributes = folded_attributes(found)
    if attributes is None or changed_after(call, other_reads(call, node, found)):
        raise Blocked(f"{shown}: the registry is changed in a way estimig cannot fold (only its fields set to "
                      "literals before the call are)")
    fields = {}
    for name, value in attributes.items():
        known = classify(call, value)
        if name not in _REGISTRY_FIELDS or known.kind is not Kind.LITERAL or not (
                known.value is None or isinstance(known.value, str)):
            raise Blocked(f"{shown}: {node.value}.{name} is not a registry field set to a string literal")
        fields[name] = known.value
    if any(fields.get(name) for name in ("username", "password", "registry_identity")):
        raise Blocked(f"{shown}: the image is pulled with a username and password (or an identity), which a v2 job "
                      "has no place for (it pulls with the workspace's identity or a registry connection); migrate "
                      "the registry by hand")
    address = fields.get("address")
    if not address:
        return image
    if image is None:
        raise Blocked(f"{shown} without custom_docker_image: the registry would be asked for the default base image")
    if image.startswith(f"{address}/"):
        raise Blocked(f"{shown}: custom_docker_image already names the registry {address}, and estimig cannot say "
                      "what v1 pulled then")
    return f"{address}/{image}"


def _value(call: EstimatorCall, name: str, default):
    """The literal value of an argument (a missing one: `default`); blocked when it is not a literal."""
    if not call.has(name):
        return default
    value = classify(call, call.kwargs[name].value)
    if value.kind is not Kind.LITERAL:
        raise Blocked(f"{name}={call.value_code(name)}: estimig cannot prove its value, which decides what the "
                      "estimator built; make it a literal, then run estimig again")
    return value.value


def _strings(call: EstimatorCall, name: str) -> list[str]:
    """A list of package strings: a literal, or a name bound to one (appends folded) that nothing else reads."""
    if not call.has(name):
        return []
    node = call.kwargs[name].value
    value = classify(call, node)
    if value.kind is Kind.LITERAL and value.value is None:
        return []
    items = value.value if value.kind is Kind.LITERAL and isinstance(value.value, (list, tuple)) else None
    if items is None and isinstance(node, cst.Name):
        found = call.definition(node)
        elements = folded_elements(found) if not isinstance(found, str) else None
        if elements is not None and not any(read is not node for read in found.root.reads):
            items = [classify(call, e.value).value if isinstance(e, cst.Element) else None for e in elements]
    if items is None or not all(isinstance(item, str) and item and not item.startswith("-") for item in items):
        raise Blocked(f"{name}={call.code(node)}: estimig cannot prove it is a list of package names that only this "
                      "estimator reads (the estimator changes the list in place)")
    return list(items)


def _image_and_conda(call: EstimatorCall) -> tuple[str, dict | str | None, str | None]:
    """The image, the conda specification (a dict; the code of a conda file's path; None: the image's own
    python, user_managed=True), and the
    framework whose private prebuilt image the estimator would have run on AmlCompute instead (None
    when it built this itself)."""
    data = frameworks()
    default = data["default_conda"]
    pip = _strings(call, "pip_packages")
    conda = _strings(call, "conda_packages")
    user_managed = _value(call, "user_managed", default=False)
    if not isinstance(user_managed, bool):
        raise Blocked(f"user_managed={call.value_code('user_managed')} is not True or False")
    if user_managed and (pip or conda):
        raise Blocked("user_managed=True with packages: the estimator raises on this")
    names = [package_name(p) for p in pip + conda]
    if len(set(names)) != len(names) or {"azureml-defaults", "python"} & set(names):
        raise Blocked("pip_packages/conda_packages repeat a package, or name azureml-defaults or python, which the "
                      "estimator merges by rules --target v2 does not reproduce yet")
    image = _value(call, "custom_docker_image", default=None)
    if image is not None and (not isinstance(image, str) or not image):
        raise Blocked("custom_docker_image is not a non-empty string")
    image = _registry(call, image)
    use_gpu = _value(call, "use_gpu", default=False)
    state = {"python": default["python"], "pip": ["azureml-defaults", *pip], "conda": list(conda),
             "channels": list(default["channels"])}
    if call.kind in FRAMEWORK_KINDS:
        image = _framework(call, state, pip, conda, image, bool(use_gpu))
    elif call.has("framework_version"):
        raise Blocked("framework_version on a plain Estimator")
    elif image is None:
        image = data["default_images"]["DEFAULT_GPU_IMAGE" if use_gpu else "DEFAULT_CPU_IMAGE"]
    conda_file = _conda_file(call)
    if conda_file is not None:
        if pip or conda or user_managed:
            raise Blocked("conda_dependencies_file is combined with packages or user_managed, which the estimator "
                          "ignores or rejects; put the packages in the conda file, then run estimig again")
        return image, conda_file, None
    if user_managed:
        if call.kind in FRAMEWORK_KINDS and _value(call, "custom_docker_image", default=None) is None:
            # The framework is in the private prebuilt image the estimator then ran (viennaprivate);
            # the public base image v2 can name has no framework, and user_managed builds none on it.
            raise Blocked(f"user_managed=True without custom_docker_image: {call.kind} ran its private prebuilt "
                          "image, which v2 cannot name, and the public base image has no framework")
        return image, None, None
    spec = {"name": "project_environment",
            "dependencies": [f"python={state['python']}", {"pip": state["pip"]}, *state["conda"]],
            "channels": state["channels"]}
    return image, spec, state.get("prebuilt")


def _conda_file(call: EstimatorCall) -> str | None:
    """The code of the conda file's path (`conda_dependencies_file` wins over its old name), from
    where the program runs: v1 read `os.path.join(source_directory, file)` when the estimator was built,
    and so does the v2 Environment. Computed now when both are literals, else written out to be
    computed there, as the v1 target does (`run_time_path`)."""
    for name in CONDA_FILES:
        if not call.has(name):
            continue
        value = classify(call, call.kwargs[name].value)
        if value.kind is Kind.LITERAL and value.value is None:
            continue
        found = run_time_path(call, name, Blocked)
        if found is not None:
            return found
        given = _value(call, name, default=None)
        directory = _value(call, "source_directory", default=".")
        if not (isinstance(given, str) and given and isinstance(directory, str)):
            raise Blocked(f"{name} and source_directory are not strings, and the v2 Environment reads the conda file "
                          "from a path")
        resolved = path_in_source_directory(directory, given)
        if resolved is None:
            raise Blocked(f"{name} uses Windows path separators; write the path with '/' and run estimig again")
        return json.dumps(resolved)
    return None


def _framework(call: EstimatorCall, state: dict, pip: list[str], conda: list[str], image: str | None,
               use_gpu: bool) -> str:
    """The framework scenario merged after the caller's packages, as `_setup_environment` does: the
    framework's pins of packages the caller names are dropped, each other package is added (an
    existing one of the same name moves to the end), the channels added, the python set."""
    table = frameworks()["frameworks"][call.kind]
    version = _value(call, "framework_version", default=table["default_version"])
    if version not in table["versions"]:
        raise Blocked(f"{call.kind} {version!r} is not a version the estimator supports")
    processor = "gpu" if use_gpu and call.kind != "SKLearn" else "cpu"
    scenario = table["versions"][version].get(processor)
    if scenario is None:
        raise Blocked(f"the SDK has no {processor.upper()} scenario for {call.kind} {version}")
    if not pip and not conda and image is None and not _built_in_full(call):
        # On AmlCompute the estimator ran a private prebuilt copy of this build, which v2 cannot name:
        # the job builds the full environment, as the v1 target's default does (docs/frameworks.md).
        state["prebuilt"] = f"{call.kind} {version}"
    defaults = default_package_names()
    ours = {package_name(p) for p in scenario["pip_packages"] + scenario["conda_packages"]}
    common = {package_name(p) for p in pip + conda} & ours - defaults
    state["channels"] += [c for c in scenario["channels"] if c not in state["channels"]]
    state["python"] = scenario["python"]
    for key, packages in (("conda", scenario["conda_packages"]), ("pip", scenario["pip_packages"])):
        for package in packages:
            if package_name(package) in common:
                continue
            state[key] = [p for p in state[key] if package_name(p) != package_name(package)] + [package]
    return image if image is not None else scenario["base_image"]


def _built_in_full(call: EstimatorCall) -> bool:
    """Whether the estimator built its full framework environment even without packages: a compute
    target given by a name string (not a cached AmlCompute cluster)."""
    if not call.has("compute_target"):
        return False
    value = classify(call, call.kwargs["compute_target"].value)
    return value.kind is Kind.LITERAL and isinstance(value.value, str) and bool(value.value)


def _variables(call: EstimatorCall) -> str | None:
    """The job's variables: the estimator's own (on its v1 Environment) then the caller's."""
    own = {"NCCL_TREE_THRESHOLD": "0"} if call.kind == "PyTorch" else {}
    if not call.has("environment_variables") or _value(call, "environment_variables", default=None) is None:
        return json.dumps(own) if own else None
    given = _value(call, "environment_variables", default=None)
    if not isinstance(given, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
        raise Blocked("environment_variables is not a dict of strings")
    if any("$" in v for v in given.values()):
        raise Blocked("environment_variables names a variable of the v1 runtime ($...), which v2 does not set")
    return json.dumps({**own, **given}) if own else call.value_code("environment_variables")


plan = planner(NAME, _plan)
