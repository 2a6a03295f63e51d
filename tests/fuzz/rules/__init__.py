"""The deliberate-difference rules of the op fuzzer, by theme (registered in ``classify.RULES``)."""
