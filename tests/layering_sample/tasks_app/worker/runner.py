from ..services import DEFAULT

NAME = f"runner of {DEFAULT}"
