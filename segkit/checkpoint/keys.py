"""Which model config keys a checkpoint does not depend on: the one policy.

A resumed run may change :data:`TRAINING_NEUTRAL_KEYS`; an exported model may differ from
its config in :data:`INFERENCE_NEUTRAL_KEYS` (the deploy fingerprint leaves them out).
"""
# Where the initial weights came from and how inference runs: they do not change what is
# trained.
TRAINING_NEUTRAL_KEYS = ('test_cfg', 'init_cfg', 'pretrained')
# Those, and the training-only settings: none changes the inference graph or its inputs.
INFERENCE_NEUTRAL_KEYS = TRAINING_NEUTRAL_KEYS + (
    'train_cfg', 'channels_last', 'loss_decode', 'size', 'sampler', 'predict_edge')
