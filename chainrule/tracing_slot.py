"""The active ``chainrule.compile()`` trace, or None: one slot that every layer can read.

Work done outside ops (gradient accumulation, in-place writes, optimizer steps, random
generator reseeds, reads of values into Python) reports to it. It is a one-element list so
that readers keep the same object while the trace in it changes; this module imports nothing,
so ``backend`` (the bottom layer) and ``tensor`` both read it without importing each other.
"""
tracer = [None]
