"""DeployedSegmentor: an exported model run by ONNX Runtime or OpenVINO, used like a segmentor."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

from segkit.models.segmentors.base_segmentor import BaseSegmentor, NamedInputs
from segkit.registry import MODELS
from segkit.structures import SegDataSample
from segkit.utils.errors import DeployError

from .backends import load_backend
from .export_wrapper import split_inputs, to_numpy
from .metadata import read_metadata


@MODELS.register_module()
class DeployedSegmentor(BaseSegmentor):
    """Predict with an exported model through the config's data preprocessor and test mode.

    Whole and sliding-window inference, cropping, un-flipping and resizing are those of
    :class:`BaseSegmentor`; only the logits of an image or window come from the runtime.
    A model exported at a fixed size gets smaller inputs padded (bottom/right, with the
    preprocessor's ``pad_val``) and their logits cropped back.

    Args:
        model_file: the .onnx file, or OpenVINO IR .xml (its metadata
            ``model_file + '.json'`` beside it).
        data_preprocessor: the config's data preprocessor.
        backend: 'onnxruntime' or 'openvino'.
        test_cfg: the config's ``model.test_cfg`` (whole or slide).
        num_threads: runtime threads; PyTorch's thread count by default.
        init_cfg: unused (no weights); accepted for mmengine.
    """

    def __init__(self, model_file: str, data_preprocessor: dict, backend: str = 'onnxruntime',
                 test_cfg: Optional[dict] = None, num_threads: Optional[int] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, test_cfg=test_cfg,
                         init_cfg=init_cfg)
        self.model_file = model_file
        self.meta = read_metadata(model_file)
        self.num_classes = self.meta['num_classes']
        self.align_corners = self.meta['align_corners']
        self.input_names = tuple(self.meta['input_names'])
        self.pad_val = getattr(self.data_preprocessor, 'pad_val', 0)
        self.backend_name = backend
        self.backend = load_backend(model_file, backend, num_threads=num_threads)

    def loss(self, inputs: NamedInputs, data_samples: List[SegDataSample]) -> dict:
        raise DeployError(f"{self.model_file}: a deployed model predicts only (mode 'predict' "
                          "or 'tensor'), got mode 'loss'")

    def model_outputs(self, inputs: NamedInputs) -> Dict[str, torch.Tensor]:
        """``{'seg': logits (N, num_classes, H, W)}`` at the input's size, from the runtime."""
        feeds = split_inputs(inputs, self.input_names)
        height, width = feeds['img'].shape[2:]
        fixed = self.meta['input_shape']
        if fixed is not None:
            if height > fixed[0] or width > fixed[1]:
                raise DeployError(
                    f'{self.model_file} takes inputs of {fixed[0]}x{fixed[1]}, this one is '
                    f'{height}x{width}: export with --dynamic or a larger --shape, or use '
                    'slide inference with a crop_size that fits')
            pad = (0, fixed[1] - width, 0, fixed[0] - height)
            feeds = {name: F.pad(t, pad, value=self.pad_val if name == 'img' else 0)
                     for name, t in feeds.items()}
        logits = torch.from_numpy(self.backend(to_numpy(feeds)))
        return dict(seg=logits[:, :, :height, :width].to(feeds['img'].device))


DEPLOYED_SUFFIXES = ('.onnx', '.xml')  # ONNX; OpenVINO IR from NNCF


def is_deployed_model(path: Optional[str]) -> bool:
    """Whether ``path`` names an exported model rather than a PyTorch checkpoint."""
    return isinstance(path, str) and path.lower().endswith(DEPLOYED_SUFFIXES)


def deployed_model_cfg(cfg, model_file: str, backend: str = 'onnxruntime',
                       config_name: Optional[str] = None) -> dict:
    """The ``model`` config of a :class:`DeployedSegmentor` running ``model_file`` in
    place of ``cfg``'s segmentor; fails when the file was exported from another model."""
    read_metadata(model_file, cfg, config_name=config_name)
    if model_file.lower().endswith('.xml') and backend != 'openvino':
        raise DeployError(f'{model_file} is OpenVINO IR: run it with --backend openvino')
    test_cfg = dict(cfg.model.get('test_cfg') or dict(mode='whole'))
    threshold = cfg.model.decode_head.get('threshold')
    if threshold is not None:  # a binary head's (out_channels=1)
        test_cfg.setdefault('threshold', threshold)
    return dict(type='DeployedSegmentor', model_file=model_file, backend=backend,
                data_preprocessor=cfg.model.data_preprocessor, test_cfg=test_cfg)
