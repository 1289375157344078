#!/usr/bin/env bash
# Train with srun, one task per GPU:
#   [GPUS=8 GPUS_PER_NODE=4] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [tools/train.py options]
# GPUS tasks in all (default 4), GPUS_PER_NODE per node (default 4; nodes = GPUS / GPUS_PER_NODE),
# CPUS_PER_TASK cores each (default 5); SRUN_ARGS adds srun options, PORT sets the rendezvous
# port (default 29500; different jobs sharing a node need different ports), PYTHON the
# interpreter. Rank 0 runs on the first node of the allocation.
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

source "$(dirname "$0")/launch_checks.sh"
require_slurm_counts "$GPUS" "$GPUS_PER_NODE" "$CPUS_PER_TASK"

# shellcheck disable=SC2086  # SRUN_ARGS holds several options
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH MASTER_PORT=${PORT:-29500} \
exec srun --partition="$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "${PYTHON:-python}" -u "$(dirname "$0")/train.py" "$CONFIG" --launcher slurm "${@:4}"
