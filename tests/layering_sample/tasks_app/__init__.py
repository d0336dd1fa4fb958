"""A sample package for the layering test: its selectors import the worker (a wrong arrow,
written as a relative import), which closes a circle through services."""
