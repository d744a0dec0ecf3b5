"""Service settings, read from the environment (and an optional YAML file) once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    port: int
    model_dir: Path
    max_batch: int


def load_settings(default_port: int) -> Settings:
    """Settings from MLSERVE_* variables; MLSERVE_CONFIG names a YAML file that overrides them."""
    values = {
        "port": int(os.environ.get("MLSERVE_PORT", default_port)),
        "model_dir": Path(os.environ.get("MLSERVE_MODEL_DIR", "/models")),
        "max_batch": int(os.environ.get("MLSERVE_MAX_BATCH", "8")),
    }
    config = os.environ.get("MLSERVE_CONFIG")
    if config:
        import yaml

        loaded = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
        values.update({key: loaded[key] for key in values if key in loaded})
    return Settings(int(values["port"]), Path(values["model_dir"]), int(values["max_batch"]))
