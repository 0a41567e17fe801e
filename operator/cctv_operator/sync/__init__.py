"""The sync: the backend's answer -> desired cameras -> a plan -> a runtime applies it.

``backend`` (the only module that talks HTTP to the backend), ``answer`` (parse or refuse the
``/api/active-cameras/`` answer), ``plan`` (what to create, update, delete), ``loop`` (one sync and the
loop with backoff). It drives any ``CameraRuntime`` and knows neither Kubernetes nor processes.
"""
