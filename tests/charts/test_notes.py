"""NOTES.txt, what `helm install` prints, renders for every variant and walks the user to a running camera.

`helm template` never renders NOTES.txt and `helm install --dry-run` needs a cluster, so the test renders a
copy of the chart in which NOTES.txt is wrapped in a named template and printed into a ConfigMap."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from support import helm
from support.helm import VARIANTS


@pytest.fixture(scope="module")
def notes_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chart = tmp_path_factory.mktemp("notes") / "cctv"
    shutil.copytree(helm.CHART_DIR, chart)
    notes = chart / "templates" / "NOTES.txt"
    wrapped = '{{- define "test.notes" -}}\n' + notes.read_text() + "{{- end }}\n"
    (chart / "templates" / "_notes.tpl").write_text(wrapped)
    notes.unlink()
    (chart / "templates" / "notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n"
        '{{ include "test.notes" . | indent 4 }}\n'
    )
    return chart


def render_notes(chart: Path, variant: str, home: Path) -> str:
    args = helm.template_args((helm.variant_file(variant),))
    args[2] = str(chart)  # template RELEASE CHART ...
    result = helm.run_helm(*args, "--show-only", "templates/notes.yaml", home=home)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["data"]["notes"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_notes_render_and_lead_to_a_camera(notes_chart: Path, helm_home: Path, variant: str) -> None:
    notes = render_notes(notes_chart, variant, helm_home)
    assert "kubectl -n cctv get cameras" in notes
    assert "/api/cameras/1/activate/" in notes
    assert "<no value>" not in notes


def test_notes_warn_that_the_in_chart_database_is_for_trials(notes_chart: Path, helm_home: Path) -> None:
    assert "for trials" in render_notes(notes_chart, "postgresql", helm_home)
    assert "for trials" not in render_notes(notes_chart, "default", helm_home)


def test_notes_show_the_ingress_address_when_there_is_one(notes_chart: Path, helm_home: Path) -> None:
    assert "https://cctv.example.com/dashboard/" in render_notes(notes_chart, "postgresql", helm_home)
    assert "port-forward service/cctv-backend" in render_notes(notes_chart, "default", helm_home)
