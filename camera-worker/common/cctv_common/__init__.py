"""What several components of the platform share (backend, worker, detector, operator): small pure
modules that import none of ours, so that no component installs another to get them."""
