"""PLACEHOLDER until issue 4 lands: every event function is a no-op."""


def __getattr__(name):
    return lambda ctx: None
