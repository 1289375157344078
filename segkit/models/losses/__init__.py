from .cross_entropy_loss import CrossEntropyLoss, cross_entropy

__all__ = ['CrossEntropyLoss', 'cross_entropy']
