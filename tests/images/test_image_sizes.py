"""Each image stays under the size budget scripts/images.tsv states for it (uncompressed, as the engine
reports it). A jump means a dependency dragged in something the image never uses at run time (torch,
CUDA, a compiler): every node pulls every byte of it."""

from __future__ import annotations

import pytest

from support.containers import Engine, image_specs

from .conftest import ImageBuilds

# A cold engine store builds the images first (the worker image: many minutes on a busy machine).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


@pytest.mark.parametrize("name", [spec.name for spec in image_specs()])
def test_the_image_stays_within_its_size_budget(name: str, engine: Engine, images: ImageBuilds) -> None:
    ref = images.ref(name)
    size = int(engine("image", "inspect", "--format", "{{.Size}}", ref).stdout.strip())
    budget = images.specs[name].size_mb_max
    assert size <= budget * 1_000_000, f"{ref} is {size / 1e6:.0f} MB, over its budget of {budget} MB"


@pytest.mark.parametrize("name", ["worker", "detector"])
def test_the_image_has_no_torch_or_ultralytics(name: str, engine: Engine, images: ImageBuilds) -> None:
    # The export stage's torch must never reach a runtime image: only the exported model comes across
    # (the detector gets torch only in its CUDA variant, built with DETECTOR_TORCH=1).
    ref = images.ref(name)
    probe = "import importlib.util as u; print([m for m in ('torch', 'ultralytics') if u.find_spec(m)])"
    result = engine(
        "run", "--rm", "--no-healthcheck", "--network", "none", "--entrypoint", "python", ref, "-c", probe
    )
    assert result.stdout.strip() == "[]", result.stdout
