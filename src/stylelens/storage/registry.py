"""Every table of StyleLens, imported in one place so migrations and tests see the whole schema.

Each part of the product keeps its tables in its own module; add the module here.
"""

from __future__ import annotations

import stylelens.storage.integration_models  # noqa: F401  (shop integration)
import stylelens.storage.shopper_models  # noqa: F401  (shoppers, consents, privacy)
import stylelens.storage.taste_models  # noqa: F401  (recommendations: taste edits)
from stylelens.storage import models  # noqa: F401  (catalog)
from stylelens.storage.models import Base

metadata = Base.metadata
