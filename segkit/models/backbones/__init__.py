from .resnet_v1c import ResNetV1c

__all__ = ['ResNetV1c']
