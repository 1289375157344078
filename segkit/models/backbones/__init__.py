from .resnet_v1c import ResNetV1c
from .torchvision_resnet import TorchvisionResNet

__all__ = ['ResNetV1c', 'TorchvisionResNet']
