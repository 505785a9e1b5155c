"""The ``bayeskit`` command.

``bayeskit house-price`` runs the Bayesian house-price analysis (by default on the bundled
California data) and writes its uncertainty report; ``--predict`` prices houses from a
CSV. Exit codes: 0 success, 1 the analysis failed, 2 bad usage or bad input (a message,
never a traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DATASETS = ("california", "windsor", "saratoga")
VARIANTS = ("pooled", "varying-intercept", "robust")
METHODS = ("nuts", "hmc", "metropolis", "advi", "fullrank_advi", "pathfinder")

HOUSE_PRICE_HELP = """\
Fit a Bayesian regression of log price on the houses' features, check it, and write a
report: diagnostics, predictive intervals checked on a held-out 20% of the houses, and
(with --compare) the same model by MCMC, variational inference and the bootstrap.
"""

HOUSE_PRICE_EPILOG = """\
examples:
  bayeskit house-price --report house_price_report.html
  bayeskit house-price --data windsor --variant pooled --method advi
  bayeskit house-price --csv sales.csv --price-column price --group-column town
  bayeskit house-price --compare --draws 500 --report report.html
  bayeskit house-price --predict new_houses.csv --predict-output priced.csv

The houses to --predict need the same columns as the training table (without the price).
"""


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


def _int_at_least(low, words):
    """An argparse type: a whole number >= ``low``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {words}, got {value}")
        return value
    return parse


_positive_int = _int_at_least(1, "a positive number")
_nonnegative_int = _int_at_least(0, "zero or more")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="bayeskit",
        description="bayeskit: Bayesian modeling with Numba-compiled log-densities, "
                    "MCMC, variational inference, bootstrap and uncertainty reports.",
        epilog="Run 'bayeskit <command> --help' for a command's options.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"bayeskit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="<command>")
    commands.required = True
    hp = commands.add_parser(
        "house-price", help="Bayesian house-price analysis with an uncertainty report",
        description=HOUSE_PRICE_HELP, epilog=HOUSE_PRICE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)

    data = hp.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument("--data", choices=DATASETS, default=None,
                        help="a bundled data set (default: california, 20,640 census "
                             "block groups)")
    source.add_argument("--csv", metavar="PATH", type=Path,
                        help="your own table of houses, one row per house")
    data.add_argument("--price-column", metavar="NAME",
                      help="the price column of --csv (required with --csv)")
    data.add_argument("--group-column", metavar="NAME",
                      help="a categorical column of --csv for varying intercepts")

    model = hp.add_argument_group("model and inference")
    model.add_argument("--variant", choices=VARIANTS, default="robust",
                       help="pooled regression, intercepts varying by group, or robust "
                            "(Student-t errors, varying intercepts); default: robust")
    model.add_argument("--method", choices=METHODS, default="nuts",
                       help="MCMC (nuts, hmc, metropolis) or variational inference (advi, "
                            "fullrank_advi, pathfinder); default: nuts")
    model.add_argument("--compare", action="store_true",
                       help="also fit by the other kinds of method (MCMC, VI, bootstrap of "
                            "least squares) and compare the model variants by LOO")
    model.add_argument("--draws", type=_positive_int, default=500,
                       help="posterior draws per chain (default: 500)")
    model.add_argument("--tune", type=_nonnegative_int, default=500,
                       help="warmup iterations per chain (default: 500)")
    model.add_argument("--chains", type=_positive_int, default=4,
                       help="MCMC chains, run in parallel threads (default: 4)")
    model.add_argument("--seed", type=_nonnegative_int, default=0,
                       help="random seed: the same seed gives the same results (default: 0)")

    out = hp.add_argument_group("output")
    out.add_argument("--report", metavar="PATH", type=Path,
                     help="write the report here (.html: one self-contained file; .md: "
                          "Markdown with figures beside it)")
    out.add_argument("--predict", metavar="CSV", type=Path,
                     help="houses to price: writes their median price and 50%%/90%% "
                          "intervals as CSV")
    out.add_argument("--predict-output", metavar="PATH", type=Path,
                     help="where to write the priced houses (default: "
                          "<predict file>_priced.csv beside it)")
    out.add_argument("--quiet", action="store_true", help="no progress messages")
    hp.set_defaults(handler=house_price)
    return parser


class Progress:
    """Stage messages on stderr (silent with --quiet)."""

    def __init__(self, quiet):
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, message):
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def _check_paths(args):
    if args.csv is not None:
        if args.price_column is None:
            raise UsageError("--csv needs --price-column NAME (the column holding prices)")
        if not args.csv.is_file():
            raise UsageError(f"--csv: no such file: {args.csv}")
    elif args.price_column or args.group_column:
        raise UsageError("--price-column and --group-column go with --csv")
    if args.predict is not None and not args.predict.is_file():
        raise UsageError(f"--predict: no such file: {args.predict}")
    if args.report is not None:
        if args.report.suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
            raise UsageError(f"--report: use a .html or .md file name, got {args.report}")
        parent = args.report.resolve().parent
        if not parent.is_dir():
            raise UsageError(f"--report: the folder {parent} does not exist")


def _read_houses(path):
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"--predict: cannot read {path} as CSV: {exc}") from None


def _load_data(args):
    """Read and clean the table; any problem with it is a usage error."""
    from bayeskit.models import house_data

    try:
        if args.csv is not None:
            return house_data.from_csv(args.csv, args.price_column,
                                       group_column=args.group_column)
        return house_data.load_dataset(args.data or "california")
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def _load_houses(args, data):
    """The houses to price, checked against the training columns before any fitting."""
    if args.predict is None:
        return None
    houses = _read_houses(args.predict)
    try:
        data.features(houses)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--predict: {exc}") from None
    return houses


def house_price(args):
    """Run the analysis the arguments describe; return the exit code."""
    _check_paths(args)
    progress = Progress(args.quiet)
    progress("loading and cleaning the data")
    data = _load_data(args)
    houses = _load_houses(args, data)
    if args.variant == "varying-intercept" and data.group_column is None:
        raise UsageError(f"--variant varying-intercept needs a group column; {data.name} "
                         "has none (give --group-column with --csv)")
    from bayeskit.models.house_analysis import run_analysis

    result = run_analysis(
        data, variant=args.variant, method=args.method, compare=args.compare,
        draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
        houses=houses, progress=progress, progressbar=not args.quiet)
    print(result.text_summary())
    if args.report is not None:
        fmt = "markdown" if args.report.suffix.lower() in (".md", ".markdown") else "html"
        progress(f"writing the {fmt} report")
        path = result.write_report(args.report, format=fmt)
        print(f"report written to {path}")
    if houses is not None:
        target = args.predict_output or args.predict.with_name(
            f"{args.predict.stem}_priced.csv")
        result.house_predictions.to_csv(target, index=False, float_format="%.0f")
        print(f"priced {len(houses)} houses: {target}")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with a usage message on bad options
    try:
        return args.handler(args)
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"bayeskit: error: {exc}\n")
    except KeyboardInterrupt:
        print("bayeskit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001  a failure of the analysis itself
        print(f"bayeskit: the analysis failed: {type(exc).__name__}: {exc}\n"
              "(rerun with BAYESKIT_DEBUG=1 for the traceback)", file=sys.stderr)
        if _debug():
            raise
        return EXIT_FAILURE


def _debug():
    import os

    return os.environ.get("BAYESKIT_DEBUG", "") not in ("", "0")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
