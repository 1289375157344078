"""segkit's registries: children of mmengine's root registries, scope ``segkit``.

Each registry imports its ``locations`` lazily the first time it is searched, so a
config can name any segkit class without the caller importing it first.
"""
import datetime

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import DefaultScope, Registry

SCOPE = 'segkit'

LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope=SCOPE, locations=['segkit.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE, locations=['segkit.engine'])
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=SCOPE, locations=['segkit.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS, scope=SCOPE,
                         locations=['segkit.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope=SCOPE,
                      locations=['segkit.datasets.transforms'])
MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE,
                  locations=['segkit.models', 'segkit.deploy'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope=SCOPE,
                          locations=['segkit.models'])
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS,
                               scope=SCOPE, locations=['segkit.models'])
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope=SCOPE,
                      locations=['segkit.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope=SCOPE,
                          locations=['segkit.engine'])
# Searched by mmengine's build_optim_wrapper in the default scope; holds no segkit class,
# mmengine's DefaultOptimWrapperConstructor is found through the parent.
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer wrapper constructor',
                                      parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope=SCOPE)
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS,
                            scope=SCOPE, locations=['segkit.engine'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=SCOPE,
                   locations=['segkit.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, scope=SCOPE,
                     locations=['segkit.evaluation'])
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, scope=SCOPE,
                      locations=['segkit.models'])
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope=SCOPE)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope=SCOPE)
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS, scope=SCOPE,
                          locations=['segkit.engine'])


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all segkit classes; optionally set 'segkit' as the default scope.

    Imports the ``locations`` of every registry (datasets, transforms, models, engine,
    evaluation), the packages this low layer names but does not import itself.
    """
    for registry in (LOOPS, HOOKS, DATASETS, DATA_SAMPLERS, TRANSFORMS, MODELS, MODEL_WRAPPERS,
                     WEIGHT_INITIALIZERS, OPTIMIZERS, OPTIM_WRAPPERS, PARAM_SCHEDULERS, METRICS,
                     EVALUATOR, TASK_UTILS, LOG_PROCESSORS):
        registry.import_from_location()
    current = DefaultScope.get_current_instance()
    if init_default_scope and (current is None or current.scope_name != 'segkit'):
        DefaultScope.get_instance(f'segkit-{datetime.datetime.now()}', scope_name='segkit')
