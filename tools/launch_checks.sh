# Checks of the process counts given to tools/dist_*.sh and tools/slurm_*.sh, which source
# this file: each prints one 'error: ...' line and stops (status 2) on a count that cannot
# start, before torchrun or srun is called.

# require_count NAME VALUE WHAT: VALUE is a whole number >= 1.
require_count() {
    if ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: $1 is '$2': expected $3, a whole number >= 1" >&2
        exit 2
    fi
}

# require_node_rank NODE_RANK NNODES: 0 <= NODE_RANK < NNODES.
require_node_rank() {
    if ! [[ "$1" =~ ^[0-9]+$ ]] || (( $1 >= $2 )); then
        echo "error: NODE_RANK is '$1': expected this node's rank, 0 to $(( $2 - 1 )) (NNODES=$2)" >&2
        exit 2
    fi
}

# require_gpus GPUS: where this node has NVIDIA GPUs, at most as many processes as it has.
require_gpus() {
    command -v nvidia-smi > /dev/null || return 0
    local count
    if [[ -n "${CUDA_VISIBLE_DEVICES+set}" ]]; then
        count=$(tr ',' '\n' <<< "$CUDA_VISIBLE_DEVICES" | grep -c .)
    else
        count=$(nvidia-smi -L 2> /dev/null | grep -c '^GPU')
    fi
    if (( count > 0 && $1 > count )); then
        echo "error: GPUS is $1 but this node has $count GPUs (one process per GPU); give at most $count" >&2
        exit 2
    fi
}

# require_slurm_counts GPUS GPUS_PER_NODE CPUS_PER_TASK: whole nodes of GPUS_PER_NODE tasks.
require_slurm_counts() {
    require_count GPUS "$1" 'the number of tasks (one per GPU)'
    require_count GPUS_PER_NODE "$2" 'the tasks per node'
    require_count CPUS_PER_TASK "$3" 'the cores per task'
    if (( $1 % $2 != 0 )); then
        echo "error: GPUS=$1 is not a multiple of GPUS_PER_NODE=$2 (tasks per node, default 4): set GPUS_PER_NODE=$1 for one node, or GPUS to a multiple of $2" >&2
        exit 2
    fi
}
