"""custseg: customer segmentation and tiering (客户细分 / 客户分级).

The Python API for notebooks::

    import custseg
    project = custseg.open_project("my-project")
    project.ingest(["orders.csv"], table="orders")
    project.table("orders").count().execute()
"""

from custseg.errors import ConfigError, CustsegError, InputError
from custseg.pipeline import Project, open_project

__all__ = ["ConfigError", "CustsegError", "InputError", "Project", "open_project"]
__version__ = "0.1.0"
