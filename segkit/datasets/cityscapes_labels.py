"""Cityscapes label tables: label ids <-> train ids (cityscapesscripts' table), file suffixes.

Shared by the converter (label ids -> train-id PNGs) and the official-evaluator metric
(train-id predictions -> label ids).
"""
import numpy as np
from cityscapesscripts.helpers.labels import labels as CS_LABELS

LABEL_IDS_SUFFIX = '_gtFine_labelIds.png'
TRAIN_IDS_SUFFIX = '_gtFine_labelTrainIds.png'
IGNORE_INDEX = 255


def label_id_to_train_id() -> np.ndarray:
    """A 256-entry lookup table from Cityscapes label ids to train ids (255 = ignored)."""
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for label in CS_LABELS:
        if label.id >= 0 and 0 <= label.trainId < IGNORE_INDEX:
            lut[label.id] = label.trainId
    return lut


def train_id_to_label_id() -> np.ndarray:
    """A 256-entry lookup table from train ids back to label ids (unknown -> 0, unlabeled)."""
    lut = np.zeros(256, dtype=np.uint8)
    for label in CS_LABELS:
        if label.id >= 0 and 0 <= label.trainId < IGNORE_INDEX:
            lut[label.trainId] = label.id
    return lut
