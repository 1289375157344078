from .iter_based_train_loop import IterBasedTrainLoop

__all__ = ['IterBasedTrainLoop']
