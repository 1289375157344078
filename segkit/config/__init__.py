"""Config loading with strict validation: unknown keys and types fail before the build."""
from segkit.config.loading import load_config
from segkit.config.registry_walk import validate_config

__all__ = ['load_config', 'validate_config']
