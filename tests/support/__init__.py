"""Helpers shared by the test suites: servers, footage, processes."""
