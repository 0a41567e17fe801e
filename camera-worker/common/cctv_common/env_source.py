"""pydantic-settings' environment source, over a given mapping instead of ``os.environ``.

The worker and the detector read their settings with pydantic-settings (variable names, case, JSON and
empty values are its rules, declared on the model). ``from_env(environ)`` takes the environment as an
argument, though: the operator, the local runtime and the tests hand a worker's environment over as a
mapping, so this source reads that mapping where the stock one reads the process's environment.
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
    """The model's variables found in ``environ``, keyed by variable name, not yet validated."""
    return MappingEnvSource(settings_cls, environ)()
