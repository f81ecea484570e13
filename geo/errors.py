"""The one exception family users see: a one-line message that names the field and the fix."""


class SitmapError(ValueError):
    """Bad input or a missing resource. The CLI prints it on one line and exits with 2."""


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
