"""Reading a report's PDF pages as text, for the report tests."""


def flat(text: str) -> str:
    """``text`` on one line, each run of spaces and line breaks as one space (the pages wrap
    rows and paragraphs where they must)."""
    return " ".join(text.split())


def part(pages: list, start: int, title: str) -> list:
    """The pages of the text part at ``pages[start]``: one titled ``title``, then each
    titled "``title`` (continued)"."""
    assert flat(pages[start]).startswith(title), pages[start][:200]
    assert not flat(pages[start]).startswith(f"{title} (continued)")
    end = start + 1
    while end < len(pages) and flat(pages[end]).startswith(f"{title} (continued)"):
        end += 1
    return pages[start:end]
