"""Import every segkit module into its registry and make 'segkit' the default scope."""
import datetime

from mmengine.registry import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all segkit classes; optionally set 'segkit' as the default scope."""
    import segkit.datasets  # noqa: F401
    import segkit.deploy  # noqa: F401
    import segkit.engine  # noqa: F401
    import segkit.evaluation  # noqa: F401
    import segkit.models  # noqa: F401
    current = DefaultScope.get_current_instance()
    if init_default_scope and (current is None or current.scope_name != 'segkit'):
        DefaultScope.get_instance(f'segkit-{datetime.datetime.now()}', scope_name='segkit')
