"""Detectors behind one interface (``base.Detector``), one module per inference backend.

``loader`` picks the backend from the model file (``.pt`` ultralytics, ``.onnx`` ONNX Runtime, an
OpenVINO ``.xml`` or export folder) and imports only that backend: the lean paths never import torch.
"""
