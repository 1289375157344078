"""segkit: config-driven semantic segmentation on mmengine."""
__version__ = '0.1.0'
