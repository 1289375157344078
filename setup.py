"""segkit: config-driven semantic segmentation on mmengine."""
from importlib import metadata

from setuptools import find_packages, setup


def mmcv_requirement() -> str:
    """Keep a full mmcv if one is installed (segkit needs no compiled ops), else mmcv-lite."""
    try:
        metadata.version('mmcv')
        return 'mmcv>=2.0.0'
    except metadata.PackageNotFoundError:
        return 'mmcv-lite>=2.0.0'


setup(
    name='segkit',
    version='0.1.0',
    description='Config-driven semantic segmentation on mmengine',
    packages=find_packages(include=['segkit', 'segkit.*']),
    python_requires='>=3.10',
    install_requires=[
        'torch>=2.5',  # torch.serialization.safe_globals (weights-only checkpoint loading)
        'torchvision>=0.20',
        'timm>=1.0',  # TimmBackbone: features_only models, output_stride, pretrained_cfg_overlay
        'mmengine>=0.10.0',
        mmcv_requirement(),
        'opencv-python>=4.5',
        'numpy>=1.22',
        'scipy>=1.8',
        'Pillow>=9.0',
        'matplotlib>=3.5',
        'cityscapesscripts>=2.2',
    ],
    extras_require={'tests': ['pytest>=7'],
                    'deploy': ['onnx>=1.16', 'onnxscript>=0.1', 'onnxruntime>=1.18',
                               'openvino>=2024.0', 'nncf>=2.12']},
)
