from .palette import colorize

__all__ = ['colorize']
