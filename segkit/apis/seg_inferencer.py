"""SegInferencer: predict class maps for image files, folders and arrays, in batches."""
import os
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple, Union

from mmengine.config import Config

from segkit.deploy import is_deployed_model
from segkit.utils.errors import ConfigError, DataError

from .inference import (ImageInput, Prediction, as_loaded_image, inference_model, init_model,
                        tta_model)
from .optimize import refuse_for_exported_model

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class SegInferencer:
    """A segmentor ready for prediction, fed in batches of ``batch_size`` images.

    Example::

        inferencer = SegInferencer('configs/quickstart.py', 'work_dirs/quickstart/iter_1500.pth')
        for path, label in inferencer.iter_predictions('data/demo/JPEGImages'):
            ...  # label: (H, W) class indices; inferencer.palette colours them

    Args:
        config: config file path, or a loaded Config.
        checkpoint: weights, matched strictly (random weights when None), or an exported
            ``.onnx`` model.
        device: 'cpu', 'cuda' or 'cuda:N'.
        batch_size: images per forward pass.
        cfg_options: ``{dotted.key: value}`` overrides, e.g. ``{'model.test_cfg.mode': 'slide'}``.
        backend: runtime of a ``.onnx`` checkpoint: 'onnxruntime' or 'openvino'.
        tta: test-time augmentation (the config's ``tta_pipeline`` and ``tta_model``),
            predicting as ``tools/test.py --tta`` does.
    """

    def __init__(self, config: Union[str, Config], checkpoint: Optional[str] = None,
                 device: str = 'cpu', batch_size: int = 1, cfg_options: Optional[dict] = None,
                 backend: str = 'onnxruntime', tta: bool = False):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f'batch_size {batch_size!r}: expected a positive int')
        if is_deployed_model(checkpoint):
            refuse_for_exported_model(checkpoint, tta=tta)
        self.model = init_model(config, checkpoint, device=device, cfg_options=cfg_options,
                                backend=backend)
        if tta:
            self.model = tta_model(self.model)
        self.batch_size = batch_size

    @property
    def classes(self) -> Sequence[str]:
        return self.model.dataset_meta.get('classes', ())

    @property
    def palette(self) -> Sequence[Sequence[int]]:
        return self.model.dataset_meta['palette']

    def __call__(self, inputs: Union[ImageInput, Sequence[ImageInput]],
                 return_logits: bool = False, channel_order: str = 'bgr') -> List[Prediction]:
        """Predictions in the order of :meth:`expand_inputs` (see :func:`inference_model`)."""
        return [pred for _, pred in self.iter_predictions(inputs, return_logits=return_logits,
                                                          channel_order=channel_order)]

    def iter_predictions(self, inputs: Union[ImageInput, Sequence[ImageInput]],
                         return_logits: bool = False,
                         channel_order: str = 'bgr') -> Iterator[Tuple[ImageInput, Prediction]]:
        """Yield ``(input, prediction)`` pairs, one batch in memory at a time.

        Args:
            inputs: image paths, folders (all images directly inside, sorted), ``(H, W, 3)``
                uint8 arrays and PIL images, alone or in a list.
            return_logits: predictions are ``(class_map, logits)`` pairs.
            channel_order: 'bgr' (as from ``cv2.imread``) or 'rgb': the order of the
                arrays' colour channels (paths and PIL images are read as they are).
        """
        items = self.expand_inputs(inputs)
        for start in range(0, len(items), self.batch_size):
            batch = items[start:start + self.batch_size]
            loaded = [as_loaded_image(item, channel_order) for item in batch]
            yield from zip(batch, inference_model(self.model, loaded, return_logits=return_logits))

    @staticmethod
    def expand_inputs(inputs: Union[ImageInput, Sequence[ImageInput]]) -> List[ImageInput]:
        """Replace each folder by the images directly inside it, sorted by name."""
        if isinstance(inputs, str) or not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        items = []
        for item in inputs:
            if isinstance(item, str) and osp.isdir(item):
                images = sorted(osp.join(item, name) for name in os.listdir(item)
                                if name.lower().endswith(IMG_EXTENSIONS))
                if not images:
                    raise DataError(f'no images ({", ".join(IMG_EXTENSIONS)}) in folder {item}')
                items.extend(images)
            elif isinstance(item, str) and not osp.isfile(item):
                raise DataError(f'input not found: {item}')
            else:
                items.append(item)
        return items
