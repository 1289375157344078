import json

import pytest

from segkit.analysis import find_scalar_files, load_scalars, plot_curves, series
from segkit.utils.errors import DataError


def write_run(folder, records):
    (folder / 'vis_data').mkdir(parents=True)
    (folder / 'vis_data' / 'scalars.json').write_text(
        ''.join(json.dumps(r) + '\n' for r in records))


def test_resumed_run_keeps_the_latest_value_per_step(tmp_path):
    write_run(tmp_path / 'work' / '20250101_000000',
              [dict(loss=3.0, lr=0.1, step=1), dict(loss=2.0, lr=0.1, step=2),
               dict(mIoU=10.0, step=2), dict(loss=1.5, lr=0.1, step=3)])
    write_run(tmp_path / 'work' / '20250102_000000',  # resumed from the iteration-2 checkpoint
              [dict(loss=1.0, lr=0.05, step=3), dict(mIoU=20.0, step=4)])
    files = find_scalar_files(str(tmp_path / 'work'))
    assert [f.split('/')[-3] for f in files] == ['20250101_000000', '20250102_000000']
    records = load_scalars(str(tmp_path / 'work'))
    assert series(records, 'loss') == ([1, 2, 3], [3.0, 2.0, 1.0])
    assert series(records, 'mIoU') == ([2, 4], [10.0, 20.0])
    assert load_scalars(files[1]) == records[4:]


def test_plot_has_the_logged_points_of_every_run(tmp_path):
    runs = {'a': [dict(loss=2.0, step=1), dict(loss=1.0, step=2), dict(mIoU=5.0, step=2)],
            'b': [dict(loss=3.0, step=1), dict(mIoU=7.0, step=1)]}
    fig = plot_curves(runs, ['loss', 'mIoU'], str(tmp_path / 'c.png'))
    assert (tmp_path / 'c.png').stat().st_size > 0
    loss, miou = fig.axes[0], fig.axes[1]
    assert [line.get_label() for line in loss.lines] == ['a', 'b']
    assert loss.lines[0].get_xydata().tolist() == [[1, 2.0], [2, 1.0]]
    assert miou.lines[1].get_xydata().tolist() == [[1, 7.0]]


def test_missing_logs_and_keys_are_named(tmp_path):
    with pytest.raises(DataError, match='no vis_data/scalars.json or metrics.jsonl under'):
        find_scalar_files(str(tmp_path))
    with pytest.raises(DataError, match="no run logged 'mIoU'; logged keys: loss"):
        plot_curves({'a': [dict(loss=1.0, step=1)]}, ['mIoU'], str(tmp_path / 'c.png'))
    (tmp_path / 'bad.json').write_text('{"loss": 1, "step": 1}\nnot json\n')
    with pytest.raises(DataError, match='bad.json, line 2: not JSON'):
        load_scalars(str(tmp_path / 'bad.json'))
