from .resnet_v1c import ResNetV1c
from .timm_backbone import TimmBackbone
from .torchvision_resnet import TorchvisionResNet

__all__ = ['ResNetV1c', 'TimmBackbone', 'TorchvisionResNet']
