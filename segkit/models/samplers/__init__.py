from .ohem_pixel_sampler import OHEMPixelSampler

__all__ = ['OHEMPixelSampler']
