"""Reports: the HTML report with charts and the Excel workbook, in Chinese and English.

Sections live in `custseg.reports.sections`, one module per stage; `write_report` and
`write_workbook` are what the CLI and notebooks call.
"""

from custseg.reports.html import write_report
from custseg.reports.xlsx import write_workbook

__all__ = ["write_report", "write_workbook"]
