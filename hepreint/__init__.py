"""hepreint: preserved LHC analyses for reinterpretation.

The Python API mirrors the CLI::

    import hepreint
    ana = hepreint.load_analysis("analyses/ttHbb")
    res = hepreint.run(ana, ["events.hepmc3.gz"], hepreint.RunOptions(seed=1))
    res.region_yield("single_lepton")      # (events, stat. error)
    res.write("out/")                      # results.json
"""

from __future__ import annotations

from hepreint._version import __version__
from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.engine.runner import PartialResultsError, RunOptions, run
from hepreint.errors import HepreintError, InputError, LikelihoodError, NetworkError, SpecError
from hepreint.io import read_events
from hepreint.results.document import Results

__all__ = [
    "Analysis",
    "HepreintError",
    "InputError",
    "LikelihoodError",
    "NetworkError",
    "PartialResultsError",
    "Results",
    "RunOptions",
    "SpecError",
    "__version__",
    "load_analysis",
    "read_events",
    "run",
]
