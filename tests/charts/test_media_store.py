"""The chart's media store: the filesystem (a volume, one pod) by default; with S3 the backend runs at
least two replicas with no shared volume, reads the store's keys from a mounted Secret (never from its
environment), and a CronJob reconciles rows and objects."""

from __future__ import annotations

import pytest

from support import helm
from support.helm import Renderer

DB = {"database.external.url": "postgres://u:p@db.example:5432/cctv"}
S3 = {
    **DB,
    "mediaStore.type": "s3",
    "mediaStore.s3.bucket": "cctv-media",
    "mediaStore.s3.existingSecret": "keys",
}


def _backend(objects: list[dict]) -> dict:
    return helm.one(objects, "Deployment", "-backend")


def _volume_names(pod: dict) -> set[str]:
    return {volume["name"] for volume in pod["volumes"]}


def test_the_default_keeps_media_on_the_backend_volume_and_runs_no_reconcile_job(renderer: Renderer) -> None:
    objects = renderer.variant("default")
    pod = _backend(objects)["spec"]["template"]["spec"]
    assert "media" in _volume_names(pod) and helm.of_kind(objects, "PersistentVolumeClaim")
    assert helm.env_of(pod["containers"][0])["MEDIA_STORE"]["value"] == "filesystem"
    assert not [job for job in helm.of_kind(objects, "CronJob") if "reconcile" in job["metadata"]["name"]]


def test_s3_runs_two_replicas_without_a_media_volume(renderer: Renderer) -> None:
    objects = renderer.with_values(**S3)
    deployment = _backend(objects)
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert "media" not in _volume_names(pod) and not helm.of_kind(objects, "PersistentVolumeClaim")
    for container in pod["containers"]:
        assert all(mount["name"] != "media" for mount in container["volumeMounts"])


def test_the_production_example_stores_media_in_s3_with_three_rolling_replicas(renderer: Renderer) -> None:
    objects = renderer.variant("production")
    deployment = _backend(objects)
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert "media" not in _volume_names(deployment["spec"]["template"]["spec"])
    env = helm.env_of(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env["MEDIA_STORE"]["value"] == "s3" and env["MEDIA_S3_PATH_STYLE"]["value"] == "1"
    assert env["MEDIA_SERVE_MODE"]["value"] == "proxy"


def test_the_store_keys_are_files_of_a_mounted_secret_in_every_backend_pod(renderer: Renderer) -> None:
    objects = renderer.with_values(**S3)
    pods = [
        _backend(objects)["spec"]["template"]["spec"],
        helm.one(objects, "Job", "-migrate")["spec"]["template"]["spec"],
        helm.one(objects, "CronJob", "-reconcile-media")["spec"]["jobTemplate"]["spec"]["template"]["spec"],
    ]
    for pod in pods:
        secret = next(volume for volume in pod["volumes"] if volume["name"] == "media-store-credentials")
        assert secret["secret"]["secretName"] == "keys"
        for container in pod["containers"]:
            env = helm.env_of(container)
            assert (
                env["MEDIA_S3_SECRET_ACCESS_KEY_FILE"]["value"] == "/etc/cctv/media-store/secret-access-key"
            )
            assert "MEDIA_S3_SECRET_ACCESS_KEY" not in env and "MEDIA_S3_ACCESS_KEY_ID" not in env
            mount = next(m for m in container["volumeMounts"] if m["name"] == "media-store-credentials")
            assert mount["readOnly"] is True


def test_the_reconcile_cronjob_reports_by_default_and_repairs_when_asked(renderer: Renderer) -> None:
    def command(**values: str) -> list[str]:
        cronjob = helm.one(renderer.with_values(**S3, **values), "CronJob", "-reconcile-media")
        assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
        return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]

    assert command() == ["python", "manage.py", "reconcile_media", "--grace-minutes=60"]
    assert command(**{"mediaStore.reconcile.repair": "true"})[-1] == "--repair"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mediaStore.type": "s3"}, "mediaStore.s3.bucket"),
        ({"mediaStore.type": "gcs"}, "mediaStore.type"),
        ({"mediaStore.serveMode": "public"}, "serveMode"),
        ({"mediaStore.type": "s3", "mediaStore.s3.bucket": "Not_A_Bucket"}, "bucket"),
    ],
)
def test_bad_store_values_are_refused_with_the_value_named(helm_home, values: dict, message: str) -> None:
    result = helm.run_helm(*helm.template_args(set_values={**DB, **values}), home=helm_home)
    assert result.returncode != 0 and message in result.stderr, result.stderr
