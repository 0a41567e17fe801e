"""``cctv-detector``: one shared, batched detector for many camera workers.

Serves the worker's detection model over the KServe v2 protocol (HTTP and gRPC) on Triton Inference
Server (PyTriton's bundled server), with Triton's dynamic batcher gathering frames of many cameras into
one batch. Reuses the worker's model loading and post-processing (``cctv_worker.detect``); the tensors it
speaks are defined once in ``cctv_worker.detect.protocol``.
"""
