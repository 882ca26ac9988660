"""Reports: a study's results as one HTML page with PNG figures, opened from disk.

:func:`build_report` reads a study's store (through ``studies.load``) and writes
``DIR/report/index.html``; :mod:`reports.figures` holds the figure functions (each takes
DataFrames and returns a matplotlib Figure) and :func:`draw_graph` draws any network.
"""

from .build import REPORT_DIR, build_report
from .content import ReportContent, TaskContent, report_content
from .graph_drawing import draw_graph

__all__ = [
    "REPORT_DIR",
    "build_report",
    "ReportContent",
    "TaskContent",
    "report_content",
    "draw_graph",
]
