"""What a process remembers of the work done for earlier documents (layouts, checks, font pieces), bounded: a
county's build meets tens of thousands of different texts, so every memo forgets when it is full."""
from __future__ import annotations

from collections import OrderedDict


class Memo(dict):
    """key -> value, emptied when full: cheap to keep, and what the documents keep needing comes back at once."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def keep(self, key, value):
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


class Recent(OrderedDict):
    """key -> value, forgetting the least recently used beyond `limit`: for entries costly to make again."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def find(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def keep(self, key, value):
        self[key] = value
        if len(self) > self.limit:
            self.popitem(last=False)
        return value
