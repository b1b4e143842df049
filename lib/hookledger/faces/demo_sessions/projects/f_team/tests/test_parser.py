import unittest

from src.parser import parse


class ParseTest(unittest.TestCase):
    def test_pairs(self):
        self.assertEqual(parse("a = 1"), {"a": "1"})

    def test_blank_line(self):
        self.assertEqual(parse("a = 1\n\nb = 2"), {"a": "1", "b": "2"})
