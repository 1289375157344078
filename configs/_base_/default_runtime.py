# Runtime shared by every config: scope, logging, checkpoints, environment.
default_scope = 'segkit'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo when there is no GPU
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
custom_hooks = [
    dict(type='SafeCheckpointHook'),  # checkpoints load with torch.load(weights_only=True)
    dict(type='CheckInvalidLossHook'),  # a NaN/inf loss stops training before the step
]
