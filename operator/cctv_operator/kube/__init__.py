"""The Kubernetes side: the API client (``api``, the only module that talks to the API server), the
Camera spec (``camera_spec``), the objects built for a camera (``builders``), their status and drift,
the shared names (``naming``), and the reconcile of one Camera into its Secret and Deployment."""
