"""Config loading with strict validation: unknown keys and types fail before the build."""
from segkit.config.strict import load_config, validate_config

__all__ = ['load_config', 'validate_config']
