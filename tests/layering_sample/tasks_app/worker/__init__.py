from . import runner as runner
