"""The data sample that carries one image's labels and predictions."""
from mmengine.structures import BaseDataElement, PixelData


class SegDataSample(BaseDataElement):
    """One image's segmentation data.

    Fields (each a :class:`PixelData` whose ``data`` is ``(C, H, W)``):
        gt_sem_seg: ground-truth class indices, ``(1, H, W)`` uint8 as packed
            (``ignore_index`` where unknown); the decode head converts it to long.
        gt_edge_map: ground-truth class boundaries from ``GenerateEdge``, ``(1, H, W)``
            uint8: 1 on an edge, 0 elsewhere, ``ignore_index`` where unknown.
        pred_sem_seg: predicted class indices, ``(1, H, W)`` long.
        seg_logits: predicted logits at the original image size, ``(num_classes, H, W)``.
        pred_edge: predicted edge probability at the original image size, ``(1, H, W)``
            (``model.predict_edge=True``).
    Meta fields (``metainfo``) hold paths, ``ori_shape``, ``img_shape``, ``pad_shape``,
    ``scale_factor``, ``flip`` and ``flip_direction``.
    """

    @property
    def gt_sem_seg(self) -> PixelData:
        return self._gt_sem_seg

    @gt_sem_seg.setter
    def gt_sem_seg(self, value: PixelData) -> None:
        self.set_field(value, '_gt_sem_seg', dtype=PixelData)

    @gt_sem_seg.deleter
    def gt_sem_seg(self) -> None:
        del self._gt_sem_seg

    @property
    def pred_sem_seg(self) -> PixelData:
        return self._pred_sem_seg

    @pred_sem_seg.setter
    def pred_sem_seg(self, value: PixelData) -> None:
        self.set_field(value, '_pred_sem_seg', dtype=PixelData)

    @pred_sem_seg.deleter
    def pred_sem_seg(self) -> None:
        del self._pred_sem_seg

    @property
    def seg_logits(self) -> PixelData:
        return self._seg_logits

    @seg_logits.setter
    def seg_logits(self, value: PixelData) -> None:
        self.set_field(value, '_seg_logits', dtype=PixelData)

    @seg_logits.deleter
    def seg_logits(self) -> None:
        del self._seg_logits

    @property
    def gt_edge_map(self) -> PixelData:
        return self._gt_edge_map

    @gt_edge_map.setter
    def gt_edge_map(self, value: PixelData) -> None:
        self.set_field(value, '_gt_edge_map', dtype=PixelData)

    @gt_edge_map.deleter
    def gt_edge_map(self) -> None:
        del self._gt_edge_map

    @property
    def pred_edge(self) -> PixelData:
        return self._pred_edge

    @pred_edge.setter
    def pred_edge(self, value: PixelData) -> None:
        self.set_field(value, '_pred_edge', dtype=PixelData)

    @pred_edge.deleter
    def pred_edge(self) -> None:
        del self._pred_edge
