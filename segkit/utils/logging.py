"""Keep mmengine's notices that concern its own internals out of segkit's logs."""
import logging

# mmengine's CheckpointHook builds a FileClient at every start, even when no file_client_args
# are given, and FileClient announces its own deprecation (and that of its 'disk' alias).
MMENGINE_NOTICES = ('"FileClient" will be deprecated',
                    '"HardDiskBackend" is the alias of "LocalBackend"')


class MMEngineNoticeFilter(logging.Filter):
    """Drop the log records of :data:`MMENGINE_NOTICES`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(MMENGINE_NOTICES)


def quiet_mmengine_notices(logger: logging.Logger) -> None:
    """Filter :data:`MMENGINE_NOTICES` out of ``logger`` (a Runner's ``MMLogger``)."""
    if not any(isinstance(f, MMEngineNoticeFilter) for f in logger.filters):
        logger.addFilter(MMEngineNoticeFilter())
