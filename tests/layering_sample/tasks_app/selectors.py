from .worker import runner

LATEST = runner.NAME
