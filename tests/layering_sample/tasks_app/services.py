from . import selectors

DEFAULT = selectors.LATEST
