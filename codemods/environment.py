"""environment: pip_packages=, conda_packages=, custom_docker_image=, use_gpu=, framework_version=, ... -> environment=Environment(...); use_docker=/shm_size= -> docker_runtime_config=DockerConfiguration(...).

Every estimator builds an environment and a Docker setting even when given no environment
argument, so this concern takes part in every call. The Environment is built in statements
inserted before the call, with the same public CondaDependencies methods, in the same order, as
`azureml.train._estimator_helper._init_run_config` and `_FrameworkBaseEstimator._setup_environment`
use, so the result is the estimator's own environment, which the oracle checks. Framework
estimators' packages and images come from `estimig/data/frameworks.json`, generated from the SDK's
scenario files by `scripts/generate_framework_table.py`. A framework estimator becomes the SDK's
full build whatever the compute target (the private prebuilt image it ran on AmlCompute is a copy
of it: the oracle's framework-image-cache normalization); `--environment` picks another form
(cached-image, curated, conda-file; docs/concerns.md).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import libcst as cst

from estimig.facts import FRAMEWORK_KINDS, EstimatorCall
from estimig.plan import CallPlan, NewArg, finding
from estimig.result import Severity
from estimig.assumptions import AMLCOMPUTE, NONEMPTY_IMAGE, PACKAGE_LIST, PYTHON_ENTRY, hint
from estimig.values import Kind, Value, classify, folded_elements, rereadable, str_path, why

NAME = "environment"
SUMMARY = ("pip/conda packages, requirement files, Docker images, GPU, framework versions -> one Environment; "
           "use_docker/shm_size -> DockerConfiguration; environment_variables -> run_config")
HANDLES = frozenset({"pip_packages", "conda_packages", "pip_requirements_file", "pip_requirements_file_path",
                     "conda_dependencies_file", "conda_dependencies_file_path", "custom_docker_image",
                     "custom_docker_base_image", "image_registry_details", "use_gpu", "user_managed",
                     "environment_definition", "environment_variables", "use_docker", "shm_size",
                     "framework_version"})

ENVIRONMENT = ("azureml.core", "Environment")
# azureml.core.runconfig has a ContainerRegistry class of its own, with the same fields.
_CONTAINER_REGISTRY = frozenset({"azureml.core.container_registry.ContainerRegistry", "azureml.core.ContainerRegistry",
                                 "azureml.core.runconfig.ContainerRegistry"})
CONDA = ("azureml.core.conda_dependencies", "CondaDependencies")
DOCKER = ("azureml.core.runconfig", "DockerConfiguration")

# What `environment_definition` excludes: the SDK raises when any of these is truthy beside it
# (`_validate_run_config_parameters`), except use_docker, which it silently ignores.
_EXCLUDED_BY_DEFINITION = ("pip_packages", "pip_requirements_file", "pip_requirements_file_path", "conda_packages",
                           "conda_dependencies_file", "conda_dependencies_file_path", "custom_docker_image",
                           "custom_docker_base_image", "image_registry_details", "use_gpu", "user_managed",
                           "shm_size", "environment_variables")

# The names the migration guide gives curated environments for the framework estimators.
_CURATED = {"PyTorch": "AzureML-PyTorch-{version}-{processor}", "TensorFlow": "AzureML-TensorFlow-{version}-{processor}",
            "Chainer": "AzureML-Chainer-{version}-{processor}", "SKLearn": "AzureML-Scikit-learn-{version}"}

_WORKSPACE_FACTORIES = frozenset({"azureml.core.Workspace.from_config", "azureml.core.Workspace.get",
                                  "azureml.core.Workspace", "azureml.core.Workspace.create",
                                  "azureml.core.workspace.Workspace.from_config", "azureml.core.workspace.Workspace.get",
                                  "azureml.core.workspace.Workspace", "azureml.core.workspace.Workspace.create"})
class Blocked(Exception):
    pass


@lru_cache(maxsize=1)
def frameworks() -> dict:
    """The framework table generated from the SDK's scenario files (see scripts/generate_framework_table.py)."""
    return json.loads(resources.files("estimig").joinpath("data/frameworks.json").read_text())


def plan(call: EstimatorCall, options) -> CallPlan:
    try:
        return _Planner(call, options).plan()
    except Blocked as exc:
        return CallPlan(NAME, blocked=str(exc))


def package_name(requirement: str) -> str:
    """CondaDependencies._get_package_name: the name the SDK compares packages by."""
    if requirement.endswith(".whl"):
        return re.split("-", re.split("/", requirement)[-1])[0]
    return re.split(r"[\[=|<|>|~|!]", requirement)[0]


class _Planner:
    def __init__(self, call: EstimatorCall, options):
        self.call = call
        self.options = options
        self.handles = HANDLES & set(call.kwargs)
        self.statements: list[str] = []
        self.after: list[str] = []
        self.imports: set[tuple[str, str]] = set()
        self.findings = []
        self.files: list[tuple[str, str]] = []  # (name, text) written next to the migrated file
        self.pip_items_code = ""
        self.env = call.fresh_name("env")
        self.deps = f"{self.env}.python.conda_dependencies"
        self.assumes: set[str] = set()
        # Package lists taken on the package-list assumption (their content is not visible).
        self.unseen_lists: set[str] = set()

    # -- values ------------------------------------------------------------------------------
    def given(self, name: str) -> bool:
        """Whether the argument is passed with a value that may be truthy (a literal None, False,
        '' or [] counts as not given, as the SDK tests truthiness)."""
        if not self.call.has(name):
            return False
        value = classify(self.call, self.call.kwargs[name].value)
        return not (value.kind is Kind.LITERAL and not value.value)

    def literal(self, name: str, default=None, what: str = "a literal"):
        if not self.call.has(name):
            return default
        value = classify(self.call, self.call.kwargs[name].value)
        if value.kind is not Kind.LITERAL:
            raise Blocked(f"{name}={self.call.value_code(name)}: estimig cannot prove its value, which decides "
                          f"what the estimator builds; make it {what}, then run estimig again")
        return value.value

    def code(self, name: str) -> str:
        return self.call.value_code(name)

    def note(self, message: str, severity: Severity = Severity.INFO) -> None:
        self.findings.append(finding(self.call.line, NAME, message, severity))

    # -- the plan ----------------------------------------------------------------------------
    def plan(self) -> CallPlan:
        call = self.call
        if call.shape_problem:
            raise Blocked(call.shape_problem)
        self._check_entry_script()
        arguments: list[NewArg] = []
        if self.given("environment_definition"):
            arguments.append(self._definition())
        else:
            environment = self._environment()
            if environment is not None:
                arguments.append(NewArg("environment", code=environment))
            arguments.append(self._docker())
        self._environment_variables()
        # `return Estimator(...)`: statements before the return run just before the call, as before
        # an assignment; statements after it would never run.
        returned = call.module.returned_from(call.node) is not None
        if (self.statements or self.after) and call.statement is None and (self.after or not returned):
            raise Blocked("the environment must be built in statements before the call, but the call is not a "
                          "statement of its own (`est = Estimator(...)`); assign it to a name first")
        return CallPlan(NAME, handles=frozenset(self.handles), arguments=tuple(arguments),
                        before=tuple(self.statements), after=tuple(self.after), imports=frozenset(self.imports),
                        findings=tuple(self.findings), files=tuple(self.files), assumes=frozenset(self.assumes))

    def _check_entry_script(self) -> None:
        # A notebook entry script gets the SDK's OpenMPI images (_update_config_for_notebook_run).
        if not self.call.has("entry_script"):
            return
        value = classify(self.call, self.call.kwargs["entry_script"].value)
        if value.kind in (Kind.SCALAR, Kind.UNKNOWN) and self.options.assumes(PYTHON_ENTRY):
            self.assumes.add(PYTHON_ENTRY)
            return
        if value.kind is not Kind.LITERAL or not isinstance(value.value, str):
            raise Blocked(f"entry_script={self.code('entry_script')} is not a literal: a notebook (.ipynb) entry "
                          "script gets other Docker images, so estimig must know which it is; "
                          f"{hint(PYTHON_ENTRY)}")
        if value.value.lower().endswith(".ipynb"):
            raise Blocked("the entry script is a notebook, for which the estimator swaps in OpenMPI images and "
                          "papermill; migrate it by hand with an explicit environment")

    # -- environment_definition ---------------------------------------------------------------
    def _definition(self) -> NewArg:
        call = self.call
        clashing = [name for name in _EXCLUDED_BY_DEFINITION if self.given(name)]
        if clashing:
            raise Blocked(f"environment_definition is combined with {', '.join(clashing)}, which the estimator "
                          "rejects; put those settings on the Environment itself, then run estimig again")
        if call.has("use_docker"):
            # `_init_run_config` takes the Docker settings from the environment's docker section and
            # never reads use_docker when environment_definition is given: dropping it is exact.
            self.note(f"use_docker={self.code('use_docker')} dropped: with environment_definition the estimator "
                      "ignores it and takes the Docker setting from the environment (env.docker.enabled)")
        if call.kind in FRAMEWORK_KINDS:
            self._framework_version()  # validated the same way
            if call.kind == "PyTorch":
                node = call.kwargs["environment_definition"].value
                if not isinstance(node, cst.Name):
                    raise Blocked("PyTorch sets NCCL_TREE_THRESHOLD=0 on the environment_definition, which must "
                                  "then be a variable; assign the Environment to a name, then run estimig again")
                # The estimator sets this on the user's own Environment object: so does the migration.
                self.statements.append(f'{node.value}.environment_variables["NCCL_TREE_THRESHOLD"] = "0"')
        # ScriptRunConfig copies the environment's docker section into the run's Docker settings,
        # exactly as the estimator does for an environment_definition: no DockerConfiguration.
        return NewArg("environment", from_kwarg="environment_definition")

    # -- the Environment -----------------------------------------------------------------------
    def _environment(self) -> str | None:
        """Emit the statements that build the environment; return the argument's code, or None
        for the default environment."""
        call = self.call
        framework = call.kind in FRAMEWORK_KINDS
        body: list[str] = []
        constructor = f'Environment("{(call.target or "run").replace("_", "-")}-env")'

        conda_file = self._conda_file()
        pip_code, pip_items = self._pip()
        conda_items = self._conda_packages()
        if conda_file and (pip_code or conda_items):
            raise Blocked("conda_dependencies_file is combined with pip or conda packages, which the estimator "
                          "rejects; put the packages in the conda file, then run estimig again")
        user_managed = self.given("user_managed")
        if user_managed and (conda_file or pip_code or conda_items):
            raise Blocked("user_managed=True is combined with packages, which the estimator rejects")

        if conda_file:
            self.imports.add(CONDA)
            body.append(f"{self.deps} = CondaDependencies({conda_file})")
        pip_at = (len(body), len(body) + len(pip_code))  # where the caller's packages are, for the full build
        body.extend(pip_code)
        body.extend(conda_items)
        packages_end = len(body)
        if user_managed:
            body.append(f"{self.env}.python.user_managed_dependencies = {self.code('user_managed')}")

        image = self._custom_image()
        if image and framework and not self.given("custom_docker_image"):
            # _FrameworkBaseEstimator._setup_environment only looks at custom_docker_image: the
            # deprecated custom_docker_base_image is overwritten by the framework's own image.
            self.note(f"{call.kind} ignored custom_docker_base_image={image} and used its own image; so does the "
                      "migrated job (use custom_docker_image, or set env.docker.base_image, to change it)",
                      Severity.WARNING)
            image = None
        if image:
            body.append(f"{self.env}.docker.base_image = {image}")
        elif not framework and self.call.has("use_gpu") and self.given("use_gpu"):
            value = classify(call, call.kwargs["use_gpu"].value)
            if value.kind is Kind.LITERAL:
                body.append(f"{self.env}.docker.base_image = DEFAULT_GPU_IMAGE")
                self.imports.add(("azureml.core.runconfig", "DEFAULT_GPU_IMAGE"))
            else:
                body.append(f"{self.env}.docker.base_image = DEFAULT_GPU_IMAGE if {self.code('use_gpu')} "
                            "else DEFAULT_CPU_IMAGE")
                self.imports |= {("azureml.core.runconfig", "DEFAULT_GPU_IMAGE"),
                                 ("azureml.core.runconfig", "DEFAULT_CPU_IMAGE")}
        if self.given("image_registry_details"):
            line = f"{self.env}.docker.base_image_registry = {self.code('image_registry_details')}"
            if not self._registry_object():
                # The SDK sets it only when it is truthy: a None (`registry = None` unless an ACR
                # image is given) keeps the environment's default registry.
                line = f"if {self.code('image_registry_details')}:\n    {line}"
            body.append(line)

        if framework:
            user_dependencies = bool(conda_file or pip_code or conda_items)
            curated = self._curated(user_dependencies or bool(image) or user_managed
                                    or self.given("image_registry_details"))
            if curated is not None:
                return curated
            build = self._framework(user_dependencies, bool(image), bool(conda_file), pip_items)
            if build.constructor is not None:  # the conda file holds the caller's packages too
                del body[pip_at[0]:packages_end]
                constructor = build.constructor
            elif build.replaces_pip:
                del body[pip_at[0]:pip_at[1]]
            body.extend(build.statements)
        if not body:
            return None
        self.imports.add(ENVIRONMENT)
        self.statements.append(f"{self.env} = {constructor}")
        self.statements.extend(body)
        return self.env

    def _path_in_source_directory(self, name: str) -> str:
        """The code of the file's path as the estimator resolves it,
        os.path.normpath(os.path.join(source_directory, file)): computed now when both are literals,
        else written out to be computed where the estimator computed it."""
        found = run_time_path(self.call, name)
        if found is not None:
            return found
        relative = self.literal(name, what="a string literal")
        if not isinstance(relative, str):
            raise Blocked(f"{name}={self.code(name)} is not a string")
        source = "."
        if self.call.has("source_directory"):
            source = classify(self.call, self.call.kwargs["source_directory"].value)
            if source.kind is not Kind.LITERAL or not isinstance(source.value, str):
                raise Blocked(f"{name} is relative to source_directory, which is not a literal here, so estimig "
                              "cannot say where the file is; make source_directory a string, then run estimig again")
            source = source.value or "."
        resolved = path_in_source_directory(source, relative)
        if resolved is None:
            raise Blocked(f"{name} uses Windows path separators; write the path with '/' and run estimig again")
        return _str(resolved)

    def _visibly_other(self, node: cst.BaseExpression) -> bool:
        return visibly_other_compute(self.call, node)

    def _registry_object(self) -> bool:
        """Whether image_registry_details is provably a ContainerRegistry object (always truthy)."""
        values = self.call.values(self.call.kwargs["image_registry_details"].value)
        return not isinstance(values, str) and bool(values) and all(
            isinstance(v, cst.Call) and self.call.module.qualified_names(v.func) & _CONTAINER_REGISTRY for v in values)

    def _conda_file(self) -> str | None:
        # The SDK: `conda_dependencies_file` wins; `conda_dependencies_file_path` is its old name.
        for name in ("conda_dependencies_file", "conda_dependencies_file_path"):
            if self.given(name):
                return self._path_in_source_directory(name)
        return None

    def _list(self, name: str) -> tuple[cst.BaseExpression | None, list[cst.BaseExpression] | None, list | None]:
        """(node, element nodes, literal values or None) for a list argument; element nodes is None
        when the argument is a name whose reaching definition is a list literal (changes folded) that
        no other code reads after the estimator takes it."""
        call = self.call
        node = call.kwargs[name].value
        shown = call.code(node)
        value = classify(call, node)
        if value.kind is Kind.LITERAL and value.value is None:
            return None, [], []
        if isinstance(node, cst.List):
            elements = list(node.elements)
        elif isinstance(node, cst.Name):
            values = call.values(node)
            built = next((v for v in values if not isinstance(v, cst.List)), None) if not isinstance(values, str) else None
            found = call.definition(node) if built is None else None
            if built is not None or isinstance(found, str):
                if self.options.assumes(PACKAGE_LIST):
                    return self._unseen_list(name, node)
                reason = f"{shown} is {call.code(built)}, not a list literal" if built is not None else found
                raise Blocked(f"{name}={shown}: estimig cannot prove what the list holds ({reason}); "
                              f"{hint(PACKAGE_LIST)}")
            folded = folded_elements(found)
            if folded is None:
                raise Blocked(f"{name}={shown}: estimig cannot prove what the list holds (it is changed before this "
                              "call in a way estimig cannot fold)")
            changes = {id(c.node) for c in found.changes}
            if any(r is not node and id(_statement_of(call, r)) not in changes and not _before(call, r)
                   for r in found.root.reads):
                raise Blocked(f"{name}={shown}: the list is used elsewhere too, and the estimator changes it in "
                              "place (it inserts azureml-defaults), so its content at each use cannot be proven; "
                              "give each estimator its own list literal, then run estimig again")
            elements = folded
        elif self.options.assumes(PACKAGE_LIST) and value.kind is Kind.UNKNOWN and _lookup(node):
            return self._unseen_list(name, node)
        else:
            assumption = f"; {hint(PACKAGE_LIST)}" if value.kind is Kind.UNKNOWN and _lookup(node) else ""
            raise Blocked(f"{name}={shown} is not a list literal; estimig cannot prove which packages it "
                          f"holds{assumption}")
        values = []
        for element in elements:
            if isinstance(element, cst.StarredElement):
                raise Blocked(f"{name} unpacks {call.code(element.value)}, whose content estimig cannot prove")
            item = classify(call, element.value)
            values.append(item.value if item.kind is Kind.LITERAL and isinstance(item.value, str) else None)
        if not values:
            return None, [], []
        return node, (elements if isinstance(node, cst.List) else None), values

    def _unseen_list(self, name: str, node: cst.BaseExpression):
        """A package list taken as a non-empty list of strings (package-list): its items are unknown."""
        self.assumes.add(PACKAGE_LIST)
        self.unseen_lists.add(name)
        return node, None, [None]

    def _pip(self) -> tuple[list[str], list | None]:
        """The statement that sets the pip section, and the package strings when all are literals."""
        call = self.call
        node = elements = None
        values: list = []
        if call.has("pip_packages"):
            node, elements, values = self._list("pip_packages")
        requirements = None
        for name in ("pip_requirements_file", "pip_requirements_file_path"):
            if self.given(name):
                requirements = self._path_in_source_directory(name)
                break
        if requirements is None and node is None:
            return [], []
        if "pip_packages" in self.unseen_lists:
            if requirements is not None:
                raise Blocked("pip_packages, which estimig cannot see, is combined with a requirements file, whose "
                              "merge with it needs the list's content")
            # What the SDK does with a non-empty list: azureml-defaults inserted in the caller's own
            # list (in place, so a list shared by several estimators grows as it did), then set.
            shown = call.code(node)
            return [f'{shown}.insert(0, "azureml-defaults")  # as the estimator did, in this same list',
                    f"{self.deps}.set_pip_requirements({shown})"], None
        if node is not None and elements is not None:
            items = ", ".join(call.code(e.value) for e in elements)
        elif node is not None:
            items = f"*{call.code(node)}"
        else:
            items = ""
        self.pip_items_code = items
        if requirements is None:
            # The SDK inserts azureml-defaults before the caller's packages, in the caller's own list.
            return [f'{self.deps}.set_pip_requirements(["azureml-defaults", {items}])'], values
        # The estimator reads the file when it is built, keeps every line (comments too), appends
        # the pip_packages the file does not list, and merges repeated package names.
        self.imports.add(CONDA)
        requirements_var = call.fresh_name("requirements")
        handle = call.module.fresh_name("requirements_file")
        statements = [(f"with open({requirements}) as {handle}:\n"
                       f"    {requirements_var} = {handle}.read().splitlines()")]
        if items:
            statements.append(f"{requirements_var} += [p for p in [{items}] if p not in {requirements_var}]")
        statements.append(f'{self.deps}.set_pip_requirements(["azureml-defaults", '
                          f"*CondaDependencies.merge_requirements({requirements_var})])")
        return statements, None

    def _conda_packages(self) -> list[str]:
        call = self.call
        if not call.has("conda_packages"):
            return []
        node, elements, _ = self._list("conda_packages")
        if node is None:
            return []
        if elements is not None:
            return [f"{self.deps}.add_conda_package({call.code(e.value)})" for e in elements]
        package = call.module.fresh_name("package")
        return [f"for {package} in {call.code(node)}:\n    {self.deps}.add_conda_package({package})"]

    def _custom_image(self) -> str | None:
        names = [n for n in ("custom_docker_image", "custom_docker_base_image") if self.call.has(n)]
        given = [n for n in names if self.given(n)]
        if len(given) == 2:
            raise Blocked("custom_docker_image and custom_docker_base_image are both given, which the estimator rejects")
        for name in names:
            value = classify(self.call, self.call.kwargs[name].value)
            if value.kind is not Kind.LITERAL and self.options.assumes(NONEMPTY_IMAGE) \
                    and value.kind in (Kind.SCALAR, Kind.UNKNOWN):
                self.assumes.add(NONEMPTY_IMAGE)
            elif value.kind is not Kind.LITERAL:
                raise Blocked(f"{name}={self.code(name)}: estimig cannot prove it is a non-empty image name (the "
                              "estimator uses its default image for an empty one); make it a string literal; "
                              f"{hint(NONEMPTY_IMAGE)}")
        if not given:
            return None
        if self.call.has("use_docker") and self.literal("use_docker", default=True) is False:
            raise Blocked("use_docker=False is combined with a custom Docker image, which the estimator rejects")
        return self.code(given[0])

    # -- Docker and variables --------------------------------------------------------------------
    def _docker(self) -> NewArg:
        parts = [f"use_docker={self.code('use_docker') if self.call.has('use_docker') else 'True'}"]
        if self.call.has("shm_size"):
            parts.append(f"shm_size={self.code('shm_size')}")
        self.imports.add(DOCKER)
        return NewArg("docker_runtime_config", code=f"DockerConfiguration({', '.join(parts)})")

    def _environment_variables(self) -> None:
        if not self.call.has("environment_variables"):
            return
        value = classify(self.call, self.call.kwargs["environment_variables"].value)
        if value.kind is Kind.LITERAL and value.value is None:
            return
        if self.call.target is None:
            raise Blocked("environment_variables must be set on run_config after the call, but the estimator is "
                          "not assigned to a simple name")
        # The estimator puts them on the run configuration, not on the Environment: so does this.
        self.after.append("# The estimator set environment_variables on the run configuration, not the Environment.\n"
                          f"{self.call.target}.run_config.environment_variables = {self.code('environment_variables')}")

    # -- framework estimators ------------------------------------------------------------------
    def _framework_version(self) -> tuple[dict, str]:
        table = frameworks()["frameworks"][self.call.kind]
        version = self.literal("framework_version", what="a string literal")
        if version is None:
            version = table["default_version"]
        if version not in table["versions"]:
            raise Blocked(f"{self.call.kind} {version!r} is not a version the estimator supports (it raises); "
                          f"supported: {', '.join(table['versions'])}")
        return table, version

    def _processor(self) -> str:
        if self.call.kind == "SKLearn":
            return "cpu"
        return "gpu" if self.literal("use_gpu", default=False, what="True or False") else "cpu"

    def _curated(self, customised: bool) -> str | None:
        if self.options is None or getattr(self.options, "environment", "explicit") != "curated":
            return None
        call = self.call
        _, version = self._framework_version()
        processor = self._processor()
        curated = _CURATED[call.kind].format(version=version, processor=processor.upper())
        if customised:
            self.note(f"--environment curated: the {call.kind} call adds packages or its own image, which the curated "
                      f"environment {curated} lacks; an explicit environment equal to the estimator's is used instead")
            return None
        workspace = _workspace_variable(call)
        if workspace is None:
            self.note(f"--environment curated: no Workspace variable in this file to load {curated} with; an explicit "
                      "environment equal to the estimator's is used instead", Severity.WARNING)
            return None
        self.imports.add(ENVIRONMENT)
        self.statements.append(f'{self.env} = Environment.get(workspace={workspace}, name="{curated}")')
        self.note(f"deliberate difference (--environment curated): the job runs in the curated environment {curated} "
                  f"that the migration guide names, not in the {call.kind} estimator's own image and packages; curated "
                  "environments are versioned by the service and old ones were retired, so check it exists")
        return self.env

    def _mode(self) -> str:
        return getattr(self.options, "environment", "explicit") if self.options is not None else "explicit"

    def _framework(self, user_dependencies: bool, custom_image: bool, conda_file: bool,
                   pip_items: list | None) -> "_Build":
        call = self.call
        table, version = self._framework_version()
        processor = self._processor()
        scenario = table["versions"][version].get(processor)
        if scenario is None:
            raise Blocked(f"the SDK has no {processor.upper()} scenario for {call.kind} {version}")
        prebuilt = not user_dependencies and not custom_image
        if prebuilt and self._mode() == "cached-image" and self._on_cached_cluster():
            return _Build(self._cached_image(version, processor))
        if prebuilt and self.given("user_managed"):
            # The full build builds no packages when user-managed: it is no copy of the prebuilt image,
            # the only one with the framework in it (the oracle's framework-image-cache rule says so).
            raise Blocked(f"user_managed=True with no image of its own: the {call.kind} estimator ran its private "
                          "prebuilt image, the only one with the framework in it, and user_managed builds no packages "
                          "on the public base image; --environment cached-image keeps that image")
        if prebuilt and self._mode() != "cached-image":
            # Where the estimator ran its private prebuilt image (AmlCompute), that image is a prebuilt
            # copy of this build (`_setup_environment`); the oracle's framework-image-cache rule.
            self.note(f"{call.kind} {version}: the migrated job builds the {call.kind} estimator's full environment "
                      "(its public base image, python and pinned packages), whatever the compute target; on "
                      "AmlCompute the estimator ran a private prebuilt copy of it, which cannot be pulled "
                      "(--environment cached-image keeps that image)")
        build = _Build([])
        if not conda_file:
            build = self._framework_packages(scenario, pip_items)
        if not custom_image:
            line = f"{self.env}.docker.base_image = {self._image(scenario['base_image'])}"
            if conda_file:
                line = f"# The {call.kind} estimator's base image (it adds no packages to a conda file):\n{line}"
            elif build.constructor is not None:
                line = f"# The {call.kind} estimator's base image (the conda file holds the packages):\n{line}"
            build.statements.append(line)
        self._nccl(build.statements)
        return build

    def _cached_image(self, version: str, processor: str) -> list[str]:
        """--environment cached-image: the estimator's private prebuilt image as is (no conda build)."""
        call = self.call
        registry = frameworks()["private_registry"]
        image = f"{call.kind.lower()}:{version}-{processor}"
        body = [f"# The prebuilt image the {call.kind} estimator ran in, as is:\n"
                f"{self.env}.docker.base_image = {_str(image)}",
                f"{self.env}.docker.base_image_registry.address = {_str(registry)}"]
        if not self.given("user_managed"):
            body.append(f"{self.env}.python.user_managed_dependencies = True")
        self.note(f"{call.kind} {version}: the estimator ran in the prebuilt image {registry}/{image}, and so does "
                  f"the migrated job{getattr(self, 'assumption', '')}; Azure ML curated environments replace these "
                  "images (estimig --environment curated)")
        self._nccl(body)
        return body

    def _nccl(self, body: list[str]) -> None:
        if self.call.kind == "PyTorch":
            body.append(f'{self.env}.environment_variables["NCCL_TREE_THRESHOLD"] = "0"')

    def _image(self, image: str) -> str:
        for constant, value in frameworks()["default_images"].items():
            if value == image:
                self.imports.add(("azureml.core.runconfig", constant))
                return constant
        return _str(image)

    def _framework_packages(self, scenario: dict, pip_items: list | None) -> "_Build":
        """The scenario's packages merged after the caller's, as _setup_environment does: framework pins
        of packages the caller names are dropped (`_remove_package_conflicts`)."""
        call = self.call
        if self.unseen_lists and ("pip_packages" in self.unseen_lists or (pip_items is not None and None not in pip_items)) \
                and not self._requirements_given():
            return self._framework_packages_at_run_time(scenario, pip_items)
        if pip_items is None or None in pip_items:
            raise Blocked(f"{call.kind} drops its own pins of packages you name, so estimig must know every package: "
                          "use string literals in pip_packages (a requirements file cannot be read at migration time)")
        conda_values = self._conda_values()
        user_names = {package_name(p) for p in pip_items if not p.startswith("-")}
        user_names |= {package_name(p) for p in conda_values}
        user_names.add("azureml-defaults")
        default_names = default_package_names()
        framework_names = {package_name(p) for p in scenario["pip_packages"] + scenario["conda_packages"]}
        common = {n for n in user_names if n in framework_names and n not in default_names}
        pip = [p for p in scenario["pip_packages"] if package_name(p) not in common]
        conda = [p for p in scenario["conda_packages"] if package_name(p) not in common]
        if common:
            self.note(f"{call.kind}: you name {', '.join(sorted(common))} yourself, so the estimator left out its own "
                      "pins of them; so does the migrated environment")
        merged = _merged_pip(pip_items, pip)
        if self._mode() == "conda-file" and merged is not None and _plain_conda(conda_values, conda):
            constructor = self._conda_file_environment(scenario, merged, [*conda_values, *conda])
            if constructor is not None:
                return _Build([], constructor=constructor)
        body = [f"{self.deps}.add_channel({_str(c)})" for c in scenario["channels"]]
        body.append(f"{self.deps}.set_python_version({_str(scenario['python'])})")
        body.extend(f"{self.deps}.add_conda_package({_str(p)})" for p in conda)
        # The full build is the same code in every mode: cached-image differs only where the
        # estimator used its prebuilt image (`_prebuilt`).
        replaces_pip = merged is not None
        if replaces_pip:
            # One list, in the order the estimator's add_pip_package calls left it: the caller's
            # packages, then the framework's (azureml-defaults moves to where the framework lists it).
            names = {package_name(p) for p in pip}
            items = [] if "azureml-defaults" in names else ['"azureml-defaults"']
            items += [self.pip_items_code] if self.pip_items_code else []
            items += [_str(p) for p in pip]
            body.append(f"{self.deps}.set_pip_requirements([{', '.join(items)}])")
        elif pip:
            package = call.module.fresh_name("package")
            body.append(f"for {package} in {_list_code(pip)}:\n    {self.deps}.add_pip_package({package})")
        body[0] = f"# The {call.kind} estimator's full build: its python, pinned packages and base image.\n{body[0]}"
        return _Build(body, replaces_pip=replaces_pip)

    def _requirements_given(self) -> bool:
        return any(self.given(name) for name in ("pip_requirements_file", "pip_requirements_file_path"))

    def _framework_packages_at_run_time(self, scenario: dict, pip_items: list | None) -> "_Build":
        """The same merge for a package list estimig cannot see (package-list): the framework's pins of
        the packages the lists name are left out where the program runs, each compared by name with
        the SDK's own rule (`CondaDependencies._get_package_name`, as `_check_package_conflicts` does)."""
        call = self.call
        defaults = default_package_names()
        known: set[str] = set(package_name(p) for p in pip_items or () if not p.startswith("-"))
        unseen = []
        for name in ("pip_packages", "conda_packages"):
            if name in self.unseen_lists:
                unseen.append(f"{{CondaDependencies._get_package_name(p) for p in {call.code(call.kwargs[name].value)}}}")
        if "conda_packages" not in self.unseen_lists:
            known |= {package_name(p) for p in self._conda_values()}
        known -= defaults
        self.imports.add(CONDA)
        named = call.module.fresh_name("named")
        package = call.module.fresh_name("package")
        sets = unseen + ([f"{{{', '.join(_str(n) for n in sorted(known))}}}"] if known else [])
        body = [f"{self.deps}.add_channel({_str(c)})" for c in scenario["channels"]]
        body.append(f"{self.deps}.set_python_version({_str(scenario['python'])})")
        body.append(f"# Its pins of the packages you name are left out, compared by name as the estimator did.\n"
                    f"{named} = {' | '.join(sets) if len(sets) == 1 else '(' + ' | '.join(sets) + ')'} - "
                    f"{{{', '.join(_str(n) for n in sorted(defaults))}}}")
        for pins, method in ((scenario["conda_packages"], "add_conda_package"), (scenario["pip_packages"], "add_pip_package")):
            if pins:
                body.append(f"for {package} in {_list_code(pins)}:\n"
                            f"    if CondaDependencies._get_package_name({package}) not in {named}:\n"
                            f"        {self.deps}.{method}({package})")
        body[0] = f"# The {call.kind} estimator's full build: its python, pinned packages and base image.\n{body[0]}"
        return _Build(body)

    def _conda_file_environment(self, scenario: dict, pip: list[str], conda: list[str]) -> str | None:
        """--environment conda-file: the full build as a conda specification beside the file; the
        constructor's code, or None (with a finding) where no file can be written."""
        call = self.call
        path = call.module.path
        if not path or path in ("-", "<string>") or not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            self.note("--environment conda-file: the code has no folder to write the conda file to (stdin); the full "
                      "build is written as statements instead")
            return None
        default = frameworks()["default_conda"]
        channels = list(dict.fromkeys([*default["channels"], *scenario["channels"]]))
        text = conda_specification(call.kind, scenario["python"], pip, conda, channels)
        stem = os.path.splitext(os.path.basename(path))[0]
        name = _conda_file_name(call.module, os.path.dirname(os.path.abspath(path)),
                                f"{stem}-{self.env}".replace("_", "-"), text)
        file_name = f"{name}.conda.yml"
        self.files.append((file_name, text))
        self.note(f"--environment conda-file: the {call.kind} estimator's full build is in {file_name}, next to this "
                  "file (read relative to the working folder: run the job from this folder)")
        return f"Environment.from_conda_specification({_str(name)}, {_str(file_name)})"

    def _conda_values(self) -> list[str]:
        if not self.call.has("conda_packages"):
            return []
        _, _, values = self._list("conda_packages")
        if None in values:
            raise Blocked(f"{self.call.kind} drops its own pins of packages you name, so estimig must know every "
                          "package: use string literals in conda_packages")
        return values

    def _on_cached_cluster(self) -> bool:
        """Whether the estimator used its prebuilt framework image: no compute_target (run-based
        compute), or an AmlCompute cluster outside the regions without cached images."""
        call = self.call
        if not call.has("compute_target"):
            return True
        node = call.kwargs["compute_target"].value
        value = classify(call, node)
        if value.kind is Kind.LITERAL:
            return not value.value if not isinstance(value.value, str) else False
        if value.kind is Kind.OTHER_COMPUTE:
            return False  # `_setup_environment`: no prebuilt image on a target that is not AmlCompute
        if value.kind is Kind.UNKNOWN and self.options.assumes(AMLCOMPUTE) and not self._visibly_other(node):
            self.assumes.add(AMLCOMPUTE)
            value = Value(Kind.COMPUTE, node)
        if value.kind is Kind.COMPUTE:
            self.assumption = (f" (estimig assumes compute_target={call.code(node)} is an AmlCompute cluster outside "
                               f"{', '.join(frameworks()['non_cached_regions'])}; on another target or region the "
                               "estimator built the full framework environment instead)")
            return True
        reason = why(call, node)
        raise Blocked(f"{call.kind} picks its image by the kind of compute target, and estimig cannot tell what "
                      f"compute_target={call.code(node)} is{f' ({reason})' if reason else ''}; bind it to "
                      "ComputeTarget(workspace=..., name=...) in this file, or "
                      + ("migrate by hand" if self._visibly_other(node) else hint(AMLCOMPUTE)))


def default_package_names() -> set[str]:
    """The names in CondaDependencies() (and python): a framework never leaves out its pin of one of
    these for the caller's (`_check_package_conflicts` leaves them out of the common packages)."""
    default = frameworks()["default_conda"]
    return {package_name(p) for p in default["pip_packages"] + default["conda_packages"]} | {"python"}


def run_time_path(call: EstimatorCall, name: str, error: type[Exception] = Blocked) -> str | None:
    """`os.path.normpath(os.path.join(<source_directory>, <file>))` when either is only known at
    run time (`os.path.join(os.path.dirname(os.path.realpath(__file__)), "conda.yml")`): a str
    that reads the same when written again, in a file that imports os; None when both are
    literals (or not str), where the literal rules of each target say why. Both targets write it;
    `error` is the refusal of the target that asks."""
    node = call.kwargs[name].value
    source = call.kwargs["source_directory"].value if call.has("source_directory") else None
    parts = [node] + ([source] if source is not None else [])
    kinds = [classify(call, part) for part in parts]
    if all(k.kind is Kind.LITERAL for k in kinds):
        return None
    if not all((k.kind is Kind.LITERAL and isinstance(k.value, str)) or (k.kind is Kind.SCALAR and str_path(
            call, part) is not None) for k, part in zip(kinds, parts)) or not all(rereadable(call, p) for p in parts):
        return None
    if not _imports_os(call.module.module):
        raise error(f"{name} is only known at run time, and the file does not import os, which the path "
                      "the estimator built from it needs (os.path.join); import os, then run estimig again")
    if (str_path(call, node) or (False, False))[1]:
        return f"os.path.normpath({call.code(node)})"  # joined to an absolute path, the folder is dropped
    source_code = call.code(source) if source is not None else '"."'
    return f"os.path.normpath(os.path.join({source_code}, {call.code(node)}))"


def path_in_source_directory(source: str, relative: str) -> str | None:
    """Where the estimator looked for a file it was given relative to source_directory, as both targets
    write it: `os.path.normpath(os.path.join(source, relative))` with '/' (None for Windows separators)."""
    if "\\" in source or "\\" in relative:
        return None
    return posixpath.normpath(posixpath.join(source or ".", relative))


def visibly_other_compute(call: EstimatorCall, node: cst.BaseExpression) -> bool:
    """Whether one of the values the target may hold is visibly no AmlCompute object (a name
    string on one path, say): an assumption covers what cannot be seen, never what can."""
    values = call.values(node)
    return not isinstance(values, str) and any(classify(call, v).kind not in (Kind.UNKNOWN, Kind.COMPUTE) for v in values)


def _lookup(node: cst.BaseExpression) -> bool:
    """`settings["packages"]`, `config.pip`: a lookup, which gives the same list each time it is
    read (the package-list statements read it twice); a call might build a new one each time."""
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        if isinstance(node, cst.Subscript) and not all(
                isinstance(e.slice, cst.Index) and isinstance(e.slice.value, (cst.SimpleString, cst.Integer, cst.Name))
                for e in node.slice):
            return False
        node = node.value
    return isinstance(node, cst.Name)


@dataclass
class _Build:
    """A framework estimator's environment statements; `replaces_pip`: they set the whole pip
    section (the caller's packages too); `constructor`: the Environment comes from a conda file."""
    statements: list[str] = field(default_factory=list)
    replaces_pip: bool = False
    constructor: str | None = None


def _merged_pip(user: list, framework: list[str]) -> list[str] | None:
    """The pip section the estimator ends with, when one list can say it: the caller's packages
    (after the azureml-defaults it inserts), then the framework's, each `add_pip_package` moving a
    package of the same name to the end. None where that needs the SDK's one-by-one semantics
    (a pip option, or a package named twice)."""
    names = [package_name(p) for p in ["azureml-defaults", *user]]
    framework_names = [package_name(p) for p in framework]
    if any(p.startswith("-") for p in user) or len(set(names)) != len(names) or \
            len(set(framework_names)) != len(framework_names):
        return None
    return [p for p in ["azureml-defaults", *user] if package_name(p) not in framework_names] + framework


def _plain_conda(user: list[str], framework: list[str]) -> bool:
    """Whether the conda packages are a plain list a conda file can hold as is: no package twice
    and none that sets the python version (`add_conda_package` treats those specially)."""
    packages = [*user, *framework]
    return len(set(packages)) == len(packages) and "python" not in {package_name(p) for p in packages}


def conda_specification(kind: str, python: str, pip: list[str], conda: list[str], channels: list[str]) -> str:
    """The conda file that loads (CondaDependencies) as the estimator's full build."""
    lines = [f"# The {kind} estimator's full build (python, pinned packages), written by estimig.",
             "name: project_environment", "dependencies:", f"- {_yaml(f'python={python}')}", "- pip:"]
    lines += [f"  - {_yaml(p)}" for p in pip]
    lines += [f"- {_yaml(p)}" for p in conda]
    lines += ["channels:"] + [f"- {_yaml(c)}" for c in channels]
    return "\n".join(lines) + "\n"


_PLAIN_YAML = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-\[\],=<>~!*+/:]*")


def _yaml(text: str) -> str:
    """A YAML scalar: plain where YAML reads it back as the same string, else double-quoted."""
    plain = _PLAIN_YAML.fullmatch(text) and ": " not in text and not text.endswith(":")
    return text if plain else json.dumps(text)


# The conda file names handed out per module, so two estimators never share a name with different contents.
_CLAIMED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _conda_file_name(module, folder: str, base: str, text: str) -> str:
    """`base`, or `base-2`, ...: the first name whose conda file is not yet there, or is there
    with this very text (a second run reuses it); an existing file is never overwritten."""
    claimed = _CLAIMED.setdefault(module, {})
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        if claimed.get(name, text) != text:
            continue
        path = os.path.join(folder, f"{name}.conda.yml")
        try:
            with open(path, encoding="utf-8") as handle:
                if handle.read() != text:
                    continue
        except FileNotFoundError:
            pass
        except OSError:
            continue
        claimed[name] = text
        return name
    raise Blocked(f"no free name for the conda file next to this one ({base}-N.conda.yml)")


def _imports_os(module: cst.Module) -> bool:
    """Whether the file's top level has `import os`, the name the path written out calls."""
    return any(isinstance(line, cst.Import) and any(
        isinstance(alias.name, cst.Name) and alias.name.value == "os" and alias.asname is None for alias in line.names)
        for statement in module.body if isinstance(statement, cst.SimpleStatementLine) for line in statement.body)


def _str(text: str) -> str:
    """A string literal in double quotes, like the statements around it."""
    return json.dumps(text) if text.isprintable() else repr(text)


def _list_code(items: list[str]) -> str:
    return "[" + ", ".join(_str(i) for i in items) + "]"


def _before(call: EstimatorCall, read: cst.CSTNode) -> bool:
    """Whether a read of the list sees it before any call changed it in place (a `print(pips)`
    before the estimator): reached only by definitions whose content is still known."""
    defs = call.module.reaching(read)
    return bool(defs) and all(d.unknown is None for d in defs)


def _statement_of(call: EstimatorCall, read: cst.CSTNode) -> cst.CSTNode | None:
    """The small statement a read of a list is the receiver or target of (`pips.append(...)`,
    `pips += [...]`), or None."""
    parent = call.module.parent(read)
    if isinstance(parent, cst.AugAssign):
        return parent
    if isinstance(parent, cst.Attribute):
        method_call = call.module.parent(parent)
        statement = call.module.parent(method_call) if isinstance(method_call, cst.Call) else None
        return statement if isinstance(statement, cst.Expr) else None
    return None


def _workspace_variable(call: EstimatorCall) -> str | None:
    """A module-level name bound to a Workspace (Workspace.from_config(), Workspace.get(...), ...)."""
    for statement in call.module.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
                    and isinstance(small.value, cst.Call)
                    and call.module.qualified_names(small.value.func) & _WORKSPACE_FACTORIES):
                return small.targets[0].target.value
    return None
