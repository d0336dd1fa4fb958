from .. import worker
from ..services import DEFAULT

VIEWS = (worker, DEFAULT)
