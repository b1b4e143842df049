"""PLACEHOLDER until issue 7 lands: every event function is a no-op."""


def __getattr__(name):
    return lambda ctx: None
