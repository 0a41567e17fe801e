"""The shared detector as a ``Detector``: frames go to ``cctv-detector`` (or any Triton serving the
tensors of ``protocol``) over KServe v2 gRPC with tritonclient. The only module that talks to it.

The worker letterboxes and sends uint8 (4x smaller than float32); the service normalises, runs the
batch and NMS, and returns rows in letterboxed pixels that are mapped back to this frame here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from cctv_worker.detect.base import Detection, DetectorUnavailable
from cctv_worker.detect.postprocess import letterbox_uint8, to_detections
from cctv_worker.detect.protocol import (
    INPUT_IMAGES,
    NAMES_PARAMETER,
    OUTPUT_COUNT,
    OUTPUT_DETECTIONS,
    names_from_json,
    service_address,
    unpack,
)

log = logging.getLogger(__name__)


# gRPC status codes -> why a request failed (metrics.DETECTOR_SERVICE_RESULTS); anything else: "rejected".
_RESULTS = {"StatusCode.DEADLINE_EXCEEDED": "timeout", "StatusCode.UNAVAILABLE": "unreachable"}


class RemoteDetector:
    backend = "remote"

    def __init__(self, url: str, model: str, *, conf_floor: float, timeout: float) -> None:
        self.url = url
        self.model = model
        self.conf_floor = conf_floor
        self.timeout = timeout
        self.client = grpcclient.InferenceServerClient(service_address(url))
        self._names: dict[int, str] | None = None
        self._imgsz: int | None = None

    @property
    def names(self) -> Mapping[int, str]:
        return self._names or {}

    def _describe_model(self) -> None:
        """Input size and class names from the model's config (once; they do not change under a name)."""
        try:
            config = self.client.get_model_config(self.model, as_json=True, client_timeout=self.timeout)[
                "config"
            ]
        except InferenceServerException as exc:
            raise self._unavailable(exc) from None
        dims = [int(d) for d in config["input"][0]["dims"]]
        parameter = config.get("parameters", {}).get(NAMES_PARAMETER, {}).get("string_value")
        if parameter is None:
            raise DetectorUnavailable("rejected", f"model {self.model} has no {NAMES_PARAMETER!r} parameter")
        self._names = names_from_json(parameter)
        self._imgsz = dims[0]

    def _unavailable(self, exc: InferenceServerException) -> DetectorUnavailable:
        result = _RESULTS.get(str(exc.status()), "rejected")
        return DetectorUnavailable(result, f"{result}: {exc.message()}")

    def detect(self, image: np.ndarray) -> list[Detection]:
        if self._imgsz is None:
            self._describe_model()
        assert self._imgsz is not None and self._names is not None
        canvas, box = letterbox_uint8(image, self._imgsz)
        tensor = grpcclient.InferInput(INPUT_IMAGES, [1, *canvas.shape], "UINT8")
        tensor.set_data_from_numpy(canvas[None])
        try:
            reply = self.client.infer(self.model, [tensor], client_timeout=self.timeout)
        except InferenceServerException as exc:
            raise self._unavailable(exc) from None
        rows = unpack(reply.as_numpy(OUTPUT_DETECTIONS), reply.as_numpy(OUTPUT_COUNT))
        return to_detections(rows, box, self._names, self.conf_floor)

    def close(self) -> None:
        self.client.close()
