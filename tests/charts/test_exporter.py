"""The chart's export job (issue 24): the ``exporter`` container of the backend pods runs
``manage.py run_exports`` with its liveness file and its own scratch ``emptyDir``; ``maxSeconds`` reaches
the container that checks the ranges users ask for (the API's, in the ``backend`` container) as well as
the job's; turned off, neither the container nor its scratch volume is rendered."""

from __future__ import annotations

from support import helm
from support.helm import Renderer

DB = {"database.external.url": "postgres://u:p@db.example:5432/cctv"}


def _pod(objects: list[dict]) -> dict:
    return helm.one(objects, "Deployment", "-backend")["spec"]["template"]["spec"]


def _container(pod: dict, name: str) -> dict:
    (found,) = [container for container in pod["containers"] if container["name"] == name]
    return found


def test_the_exporter_runs_the_job_with_its_alive_file_and_scratch(renderer: Renderer) -> None:
    pod = _pod(renderer.variant("default"))
    exporter = _container(pod, "exporter")
    assert exporter["command"] == [
        "python",
        "manage.py",
        "run_exports",
        "--alive-file",
        "/tmp/exporter-alive",
    ]
    assert "/tmp/exporter-alive" in " ".join(exporter["livenessProbe"]["exec"]["command"])
    assert exporter["readinessProbe"]["exec"]["command"] == ["test", "-e", "/tmp/exporter-alive"]
    mounts = {mount["name"]: mount["mountPath"] for mount in exporter["volumeMounts"]}
    assert mounts["export-scratch"] == "/tmp"
    scratch = {volume["name"]: volume for volume in pod["volumes"]}["export-scratch"]
    assert scratch["emptyDir"]["sizeLimit"] == "8Gi"
    assert exporter["securityContext"]["readOnlyRootFilesystem"] is True
    assert exporter["securityContext"]["runAsNonRoot"] is True
    # The same database and store as the backend: the queue is a table, the files go to the media store.
    backend_env = helm.env_of(_container(pod, "backend"))
    assert helm.env_of(exporter)["MEDIA_STORE"] == backend_env["MEDIA_STORE"]
    assert ("DATABASE_URL" in helm.env_of(exporter)) == ("DATABASE_URL" in backend_env)


def test_max_seconds_reaches_the_api_that_checks_it(renderer: Renderer) -> None:
    values = {**DB, "backend.exports.maxSeconds": "600", "backend.exports.scratchSizeLimit": "1Gi"}
    pod = _pod(renderer.with_values(**values))
    for name in ("backend", "exporter"):
        assert helm.env_of(_container(pod, name))["EXPORT_MAX_SECONDS"]["value"] == "600", name
    scratch = {volume["name"]: volume for volume in pod["volumes"]}["export-scratch"]
    assert scratch["emptyDir"]["sizeLimit"] == "1Gi"


def test_turned_off_there_is_no_exporter_and_no_scratch(renderer: Renderer) -> None:
    pod = _pod(renderer.with_values(**DB, **{"backend.exports.enabled": "false"}))
    assert "exporter" not in [container["name"] for container in pod["containers"]]
    assert "export-scratch" not in [volume["name"] for volume in pod["volumes"]]
