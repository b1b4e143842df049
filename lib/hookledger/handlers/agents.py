"""PLACEHOLDER until issue 3 lands: every event function is a no-op."""


def __getattr__(name):
    return lambda ctx: None
