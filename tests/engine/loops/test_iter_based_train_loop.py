"""IterBasedTrainLoop: validating does not change what is trained."""
import torch

from segkit.apis import run_train

from tests.tiny_training import QUICKSTART, tiny_options


def test_validation_does_not_change_the_training(demo_root, tmp_path):
    # Validation draws from torch's generator (the loader's base seed); dropout uses it too.
    weights = []
    for val_interval in (1, 2):
        name = f'val-every-{val_interval}'
        runner = run_train(QUICKSTART, work_dir=str(tmp_path / name), cfg_options=tiny_options(
            demo_root, name, **{'train_cfg.val_interval': val_interval,
                                'default_hooks.checkpoint.interval': 0,
                                'default_hooks.checkpoint.save_last': False}))
        weights.append(runner.model.state_dict())
    for key, value in weights[0].items():
        assert torch.equal(value, weights[1][key]), key
