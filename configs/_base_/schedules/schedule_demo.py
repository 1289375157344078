# The demo configs' schedule (built-in demo data, 2 CPU cores): mixed precision where the
# CPU runs it natively (AmpOptimWrapper follows the precision policy), SGD 0.02,
# 100 warm-up iterations then poly decay over 1500; validate every 300 and keep the last two
# checkpoints and the best mIoU.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0005))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=100, by_epoch=False),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=100, end=1500, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1500, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='SegCheckpointHook', by_epoch=False, interval=300, max_keep_ckpts=2,
                    save_best='mIoU'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
