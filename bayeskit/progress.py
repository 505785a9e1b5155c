"""Progress bars for sampling, variational fits and the bootstrap: one place, one policy.

Bars come from tqdm (``tqdm.auto``: a widget in notebooks, text in terminals) and are hidden
when the output is not a terminal (``disable=None``), so logs and CI output are not filled
with carriage-return noise.
"""


def progress_bar(enabled, total, desc, unit="it", **options):
    """A tqdm bar of ``total`` steps, or None when ``enabled`` is false."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=None, dynamic_ncols=True,
                **options)
