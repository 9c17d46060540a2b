"""Demo data: believable, internally consistent records for any config package.

`formwork demo --scale N` plans records from the package's `demo.yaml` (or from field types
alone when there is none) and writes them through the record service, or in bulk for large
scales. Nothing here knows any particular app: what is specific to one lives in its
package's demo.yaml (see docs/demo-data.md).
"""

from .errors import DatabaseNotEmpty, DemoError, RecordRefused
from .run import DemoResult, make_demo_data
from .spec import DemoSpec
from .spec_loader import load_demo_spec

__all__ = [
    "DatabaseNotEmpty",
    "DemoError",
    "DemoResult",
    "DemoSpec",
    "RecordRefused",
    "load_demo_spec",
    "make_demo_data",
]
