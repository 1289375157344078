#!/usr/bin/env bash
# Train on GPUS processes per node with torchrun (python -m segkit.utils.launch: torchrun,
# its failures told in one line):
#   bash tools/dist_train.sh CONFIG GPUS [tools/train.py options]
# Several nodes: run it on each with NNODES, NODE_RANK (0..NNODES-1), MASTER_ADDR (node 0's
# address) and PORT set the same way everywhere; PYTHON picks the interpreter. Without GPUs
# the processes use gloo on CPU.
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

source "$(dirname "$0")/launch_checks.sh"
require_count GPUS "$GPUS" 'the processes per node (bash tools/dist_train.sh CONFIG GPUS [options])'
require_count NNODES "$NNODES" 'the number of nodes'
require_node_rank "$NODE_RANK" "$NNODES"
require_gpus "$GPUS"

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
exec "${PYTHON:-python}" -m segkit.utils.launch \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
