# Runtime shared by every config: scope, logging, checkpoints, environment.
default_scope = 'segkit'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo when there is no GPU
)
# Add dict(type='TensorboardVisBackend') to also log to TensorBoard (pip install tensorboard).
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
# A checkpoint (load_from, pretrained, init_cfg) that fits less than half of the model is
# refused; set True when training most of the model from scratch is intended.
allow_partial_load = False
resume = False
randomness = dict(seed=0)
# tools/test.py --tta wraps the model in this and tests with the dataset's tta_pipeline.
tta_model = dict(type='SegTTAModel')
# Every run also gets SafeCheckpointHook (checkpoints load with weights_only=True).
custom_hooks = [
    dict(type='CheckInvalidLossHook'),  # a NaN/inf loss stops training before the step
]
