from .amp_optim_wrapper import AmpOptimWrapper
from .optim_wrapper import OptimWrapper

__all__ = ['AmpOptimWrapper', 'OptimWrapper']
