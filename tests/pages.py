"""Reading a report's PDF pages as text, for the report tests."""


def flat(text: str) -> str:
    """``text`` without any whitespace, to compare a page's text with what was drawn: the
    pages wrap rows and paragraphs where they must, and pypdf versions differ in the spaces
    they read inside words (4.0 reads "Tax" as "T ax")."""
    return "".join(text.split())


def part(pages: list, start: int, title: str) -> list:
    """The pages of the text part at ``pages[start]``: one titled ``title``, then each
    titled "``title`` (continued)"."""
    assert flat(pages[start]).startswith(flat(title)), pages[start][:200]
    assert not flat(pages[start]).startswith(flat(f"{title} (continued)"))
    end = start + 1
    while end < len(pages) and flat(pages[end]).startswith(flat(f"{title} (continued)")):
        end += 1
    return pages[start:end]
