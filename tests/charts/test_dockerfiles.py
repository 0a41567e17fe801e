"""Static checks of the Dockerfiles (no Docker engine runs here): pinned base images, numeric non-root
users, no secrets in ENV/ARG, every COPY source exists and is inside the build context, health checks,
pinned dependencies, and no torch in the worker's runtime image."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

import pytest
from dockerfile_parse import DockerfileParser

from support.helm import REPO_ROOT

DOCKERFILES = ["Dockerfile.backend", "Dockerfile.worker"]
# The images people run: (Dockerfile, stage).
IMAGES = [
    ("Dockerfile.backend", "backend"),
    ("Dockerfile.backend", "operator"),
    ("Dockerfile.worker", "runtime"),
]
SECRET_NAME = re.compile(r"(?i)(secret|passw|token|api_?key|private_?key|credential|auth)")
PINNED_TAG = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$")


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def values(self, instruction: str) -> list[str]:
        return [value for kind, value in self.instructions if kind == instruction]


def stages(dockerfile: str) -> list[Stage]:
    parser = DockerfileParser(fileobj=(REPO_ROOT / dockerfile).open("rb"))
    found: list[Stage] = []
    for item in parser.structure:
        kind, value = item["instruction"], item["value"]
        if kind == "FROM":
            parts = value.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(found))
            found.append(Stage(name=name, base=parts[0]))
        elif kind != "COMMENT" and found:
            found[-1].instructions.append((kind, value))
    return found


def stage(dockerfile: str, name: str) -> Stage:
    (found,) = [s for s in stages(dockerfile) if s.name == name]
    return found


def env_pairs(value: str) -> dict[str, str]:
    """ENV/ARG: `K=V K2="V 2"` or the legacy `K V` form."""
    words = shlex.split(value)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.partition("=")[::2] for word in words)


def dockerignore_excludes(path: str) -> bool:
    """Whether .dockerignore keeps `path` (relative, with /) out of the build context."""
    excluded = False
    for line in (REPO_ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        # A pattern that matches a folder excludes everything in it.
        parts = path.split("/")
        ancestors = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, candidate) for candidate in ancestors):
            excluded = not negate
    return excluded


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_every_base_image_is_pinned_to_a_version(dockerfile: str) -> None:
    names: set[str] = set()
    for s in stages(dockerfile):
        if s.base != "scratch" and s.base not in names:
            assert "@sha256:" in s.base or PINNED_TAG.match(s.base), f"{dockerfile} stage {s.name}: {s.base}"
            assert not s.base.endswith(":latest"), s.base
        names.add(s.name)


@pytest.mark.parametrize(("dockerfile", "name"), IMAGES)
def test_the_image_runs_as_a_numeric_non_root_user(dockerfile: str, name: str) -> None:
    users = stage(dockerfile, name).values("USER")
    assert users, f"{dockerfile} {name}: no USER"
    match = re.fullmatch(r"(\d+)(?::(\d+))?", users[-1].strip())
    assert match, f"{dockerfile} {name}: USER {users[-1]} is not numeric (runAsNonRoot cannot check a name)"
    assert int(match.group(1)) != 0 and int(match.group(2) or 1) != 0


@pytest.mark.parametrize(("dockerfile", "name"), IMAGES)
def test_the_image_has_a_health_check(dockerfile: str, name: str) -> None:
    (check,) = stage(dockerfile, name).values("HEALTHCHECK")
    assert "/healthz" in check


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_no_secret_is_baked_into_env_or_arg(dockerfile: str) -> None:
    for s in stages(dockerfile):
        for kind in ("ENV", "ARG"):
            for value in s.values(kind):
                for key, val in env_pairs(value).items():
                    assert not SECRET_NAME.search(key), f"{dockerfile} {s.name}: {kind} {key}"
                    credentials = re.search(r"://[^/\s:@]+:[^/\s@]+@", val)
                    assert not credentials, f"{dockerfile}: credentials in {key}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_every_copied_file_exists_and_is_in_the_build_context(dockerfile: str) -> None:
    for s in stages(dockerfile):
        assert not s.values("ADD"), f"{dockerfile} {s.name}: use COPY (ADD fetches URLs and unpacks archives)"
        for value in s.values("COPY"):
            words = [w for w in shlex.split(value) if not w.startswith("--")]
            if any(w.startswith("--from=") for w in shlex.split(value)):
                continue  # from another stage or a named context, not from the repository
            for source in words[:-1]:
                matches = list(REPO_ROOT.glob(source.rstrip("/"))) or [REPO_ROOT / source]
                for path in matches:
                    relative = path.relative_to(REPO_ROOT).as_posix()
                    assert path.exists(), f"{dockerfile}: COPY {source} does not exist"
                    ignored = dockerignore_excludes(relative)
                    assert not ignored, f"{dockerfile}: COPY {source} is .dockerignored"


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_dependencies_come_from_pinned_requirements_with_the_constraints(dockerfile: str) -> None:
    for s in stages(dockerfile):
        for run in s.values("RUN"):
            for command in re.split(r"&&|;", run):
                if "pip install" not in command:
                    continue
                words = shlex.split(command)
                installs_local_package = any(w.startswith("/src/") for w in words)
                if "-r" in words or installs_local_package:
                    assert "-c" in words and words[words.index("-c") + 1].endswith("constraints.txt"), command
                for package in _named_packages(words[words.index("install") + 1:]):
                    assert "==" in package, f"{dockerfile} {s.name}: {package} is not pinned"


def _named_packages(args: list[str]) -> list[str]:
    """The packages a pip install names directly (not files, folders or option values)."""
    packages, skip_next = [], False
    for word in args:
        if skip_next:
            skip_next = False
        elif word in ("-r", "-c", "--index-url", "--extra-index-url"):
            skip_next = True
        elif not word.startswith(("-", "/", ".")):
            packages.append(word)
    return packages


# The project's own distributions: the images install them from /src, never from an index.
OWN_DISTRIBUTIONS = {"cctv-common"}


@pytest.mark.parametrize("package", ["camera-worker", "operator"])
def test_every_dependency_a_package_declares_is_pinned_by_the_constraints(package: str) -> None:
    # The images install the packages with their declared dependencies under constraints.txt: each must be
    # pinned there, or the image would get whatever version is newest on the day it is built.
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    declared = tomllib.loads((REPO_ROOT / package / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = [d for d in declared if canonicalize_name(Requirement(d).name) not in OWN_DISTRIBUTIONS]
    pinned = set()
    for line in (REPO_ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            pinned.add(canonicalize_name(line.split("==")[0]))
    missing = [d for d in declared if canonicalize_name(Requirement(d).name) not in pinned]
    assert not missing, f"{package} declares {missing}, not pinned in requirements/constraints.txt"


@pytest.mark.parametrize(("dockerfile", "venv"), [("Dockerfile.backend", "backend-venv"),
                                                  ("Dockerfile.backend", "operator-venv")])
def test_the_backend_and_operator_install_the_shared_package_and_not_the_worker(dockerfile, venv) -> None:
    copied = " ".join(stage(dockerfile, venv).values("COPY"))
    assert "camera-worker/common" in copied
    assert "cctv_worker" not in copied and "camera-worker/pyproject.toml" not in copied


def test_the_worker_runtime_image_has_no_torch_or_ultralytics() -> None:
    runtime = stage("Dockerfile.worker", "runtime")
    venv = stage("Dockerfile.worker", "runtime-venv")
    for s in (runtime, venv):
        text = "\n".join(value for _, value in s.instructions).lower()
        assert "torch" not in text and "ultralytics" not in text and "ml.txt" not in text, s.name
    sources = [v for v in runtime.values("COPY") if "--from=" in v]
    assert sorted(v.split()[0] for v in sources) == ["--from=export", "--from=runtime-venv"]
    (model_copy,) = [v for v in sources if v.startswith("--from=export")]
    assert model_copy.split()[1] == "/export/", "only the exported model comes from the torch stage"


def test_the_worker_writes_only_under_its_data_dir() -> None:
    env: dict[str, str] = {}
    for value in stage("Dockerfile.worker", "runtime").values("ENV"):
        env.update(env_pairs(value))
    assert env["DATA_DIR"] == "/data"
    for key in ("HOME", "TMPDIR"):
        assert env[key] == "/data" or env[key].startswith("/data/"), key
    assert env["MODEL_PATH"].startswith("/opt/cctv/models/model.")


def test_the_worker_model_is_chosen_by_a_build_arg_and_exported_by_the_workers_exporter() -> None:
    export = stage("Dockerfile.worker", "export")
    args = {k for v in export.values("ARG") for k in env_pairs(v)}
    assert {"MODEL", "MODEL_FORMAT", "IMGSZ"} <= args
    assert any("cctv-worker export" in run for run in export.values("RUN"))


def test_the_chart_default_model_path_is_where_the_image_puts_the_model() -> None:
    import yaml

    values = yaml.safe_load((REPO_ROOT / "charts" / "cctv" / "values.yaml").read_text())
    env: dict[str, str] = {}
    for value in stage("Dockerfile.worker", "runtime").values("ENV"):
        env.update(env_pairs(value))
    default_format = env_pairs(stage("Dockerfile.worker", "runtime").values("ARG")[0])["MODEL_FORMAT"]
    assert values["worker"]["modelPath"] == env["MODEL_PATH"].replace("${MODEL_FORMAT}", default_format)


def test_the_backend_is_the_default_target_and_the_operator_a_second_one() -> None:
    names = [s.name for s in stages("Dockerfile.backend")]
    assert names[-1] == "backend"
    assert "operator" in names
    (cmd,) = stage("Dockerfile.backend", "backend").values("CMD")
    assert "gunicorn" in cmd and "python:cctv_backend.gunicorn_conf" in cmd
    assert "cctv_backend.asgi:application" in cmd
    assert any("collectstatic" in run for run in stage("Dockerfile.backend", "backend").values("RUN"))
    (entry,) = stage("Dockerfile.backend", "operator").values("ENTRYPOINT")
    assert "cctv-operator" in entry


@pytest.mark.parametrize("path", [".git", ".venv", "tests/charts", "backend/db.sqlite3", "camera-worker/.env",
                                  "backend/media/snapshot.jpg",
                                  "operator/laptop/cctv_local/rtsp_server.py"])
def test_dockerignore_keeps_out_what_no_image_needs(path: str) -> None:
    assert dockerignore_excludes(path)


def test_dockerignore_matcher_keeps_sources_in() -> None:
    for path in ("backend/manage.py", "camera-worker/cctv_worker/cli.py", "requirements/worker.txt"):
        assert not dockerignore_excludes(path), path
