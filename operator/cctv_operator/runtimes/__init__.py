"""The two runtimes the sync drives: ``kubernetes`` (one Camera resource per camera, the operator's
handlers make its Deployment) and ``local`` (one ``cctv-worker`` process per camera, no cluster)."""
