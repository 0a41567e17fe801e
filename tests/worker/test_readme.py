"""The README documents every setting the worker reads."""

from pathlib import Path

from cctv_worker.config import WorkerConfig

README = Path(__file__).resolve().parents[2] / "camera-worker" / "README.md"


def test_every_environment_variable_is_in_the_configuration_table() -> None:
    text = README.read_text()
    missing = [name for name in WorkerConfig.env_names() if f"| `{name}` |" not in text]
    assert missing == []
