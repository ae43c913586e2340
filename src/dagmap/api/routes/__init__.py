"""The API's routes, one module per resource; each is wiring only (the work is in ``dagmap.services``)."""
