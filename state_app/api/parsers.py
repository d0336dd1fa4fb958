from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StateJSONParser(JSONParser):
    """JSON that lets NaN/Infinity through to the state validator, which names the rule
    broken, and turns absurd nesting into a 400 instead of a crash."""

    strict = False

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
