"""Settings shared by every command (pydantic-settings): defaults, then environment
variables `AIPOSTURE_*`, then command-line flags, which the CLI passes in."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STATE_DIR = Path(".aiposture")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIPOSTURE_", extra="ignore")

    db: str | None = None
    state_dir: Path = DEFAULT_STATE_DIR
    max_file_size: int = 10 * 1024 * 1024
    workers: int = 0  # 0: one per core

    def database_url(self, override: str | None = None) -> str:
        """The explicit URL, else AIPOSTURE_DB, else SQLite under the state folder."""
        url = override or self.db
        if url:
            return url
        return f"sqlite:///{(self.state_dir / 'aiposture.db').as_posix()}"
