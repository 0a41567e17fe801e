"""Tests of the Helm chart and the Dockerfiles (tests mirror charts/ and the Dockerfiles at the root)."""
