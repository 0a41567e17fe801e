"""pydantic-settings' environment source, over a given mapping instead of ``os.environ``.

`load_settings(environ)` takes the environment as an argument (the tests and the local product pass
their own), so this source reads that mapping where the stock one reads the process's environment.
The worker has the same few lines (cctv_worker.env_source): the operator never imports the worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars


class MappingEnvSource(EnvSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # read by _load_env_vars, which the base class calls
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def settings_values(settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> dict[str, Any]:
    """The model's variables found in ``environ``, keyed as the model validates them, not yet validated."""
    return MappingEnvSource(settings_cls, environ)()
