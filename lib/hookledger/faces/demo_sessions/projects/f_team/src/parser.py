def parse(text):
    pairs = [line.split('=', 1) for line in text.splitlines()]
    return {k.strip(): v.strip() for k, v in pairs}
