"""ipywidgets panels for JupyterLab: run strategies with a live chart, and explore stored results.

They need a kernel; an exported page shows none of them, so notebooks also draw the static charts.
"""

from labproject.panels.explorer import Explorer
from labproject.panels.live import LiveChart
from labproject.panels.run import RunPanel

__all__ = ["Explorer", "LiveChart", "RunPanel"]
